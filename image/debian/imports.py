"""Import every runtime dependency of arb-appliance (from its own metadata) on this machine."""

import importlib
import importlib.metadata as md
import platform
import re

wanted = set()
for req in md.requires("arb-appliance") or []:
    name, _, marker = req.partition(";")
    if "extra" in marker and "pi" not in marker:
        continue
    wanted.add(re.split(r"[<>=!~\[ ]", name.strip())[0].lower().replace("_", "-"))
by_dist = {}
for module, dists in md.packages_distributions().items():
    for d in dists:
        by_dist.setdefault(d.lower().replace("_", "-"), []).append(module)
missing = sorted(wanted - by_dist.keys())
assert not missing, f"not installed: {missing}"
done = []
for dist in sorted(wanted):
    mods = [m for m in by_dist[dist] if not m.startswith("_") and m.isidentifier()]
    for m in mods:
        importlib.import_module(m)
    done.append(f"{dist}({','.join(sorted(mods))})")
importlib.import_module("systemd.journal")  # the structured journal fields need it
assert platform.machine() == "aarch64", platform.machine()
print(f"imports ok on {platform.machine()}, CPython {platform.python_version()}: {' '.join(done)}")
