#!/usr/bin/env python3
"""The configuration examples users copy: README.md's ini block and
vault_dr.cfg.example must load as shown.

vaultdr reads the config before anything else and then asks for VAULT_TOKEN
before it sends anything, so a run with no token and no terminal exits 2
with the token's message when (and only when) the file loaded. No network.
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_dr as h  # noqa: E402


def run_cfg(text, env_name):
    d = tempfile.mkdtemp(prefix="vaultdr-docs-")
    path = os.path.join(d, "vault_dr.cfg")
    with open(path, "w") as f:
        f.write(text)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": d,
           "AWS_EC2_METADATA_DISABLED": "true"}
    p = subprocess.run([h.VAULTDR, "-c", path, "failover", env_name],
                       env=env, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=30, cwd=d)
    return p


def readme_block():
    text = open(os.path.join(h.TOP, "README.md")).read()
    m = re.search(r"```ini\n(.*?)```", text, re.S)
    h.check(m is not None, "README.md has an ```ini configuration example")
    return m.group(1)


def readme_config_example_loads(c):
    p = run_cfg(readme_block(), "prod")
    h.check(p.returncode == 2 and "VAULT_TOKEN" in p.stderr,
            "README's example must load (then stop at the missing token)", p)
    h.check("is not a host name" not in p.stderr and "line" not in p.stderr,
            "no config error for README's example", p)


def sample_config_loads(c):
    text = open(os.path.join(h.TOP, "vault_dr.cfg.example")).read()
    for env in ("prod", "staging"):
        p = run_cfg(text, env)
        h.check(p.returncode == 2 and "VAULT_TOKEN" in p.stderr,
                "vault_dr.cfg.example [%s] must load" % env, p)


def inline_remark_is_explained(c):
    bad = readme_block().replace(
        "prod_secondary_dns_target=internal-use1-prod-vault.elb.amazonaws.com",
        "prod_secondary_dns_target=internal-use1-prod-vault.elb.amazonaws.com"
        "   # CNAME value")
    p = run_cfg(bad, "prod")
    h.check(p.returncode == 2, "a remark after a value is a config error", p)
    h.check("#" in p.stderr and "part of the value" in p.stderr,
            "the error says a '#' inside a value is part of it", p)


CASES = [readme_config_example_loads, sample_config_loads,
         inline_remark_is_explained]

if __name__ == "__main__":
    sys.exit(h.main(CASES))
