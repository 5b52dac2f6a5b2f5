"""Print pip constraints that pin every runtime dependency of pyproject.toml to its lower bound.

CI installs the project once with the newest allowed versions and once with these, so a lower bound
is a tested promise, not a guess.
"""

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
for requirement in project["dependencies"]:
    match = re.match(r"\s*([A-Za-z0-9._-]+)\s*(?:\[[^\]]*\])?\s*.*?>=\s*([0-9][^,;\s]*)", requirement)
    if not match:
        sys.exit(f"no lower bound in {requirement!r}")
    print(f"{match.group(1)}=={match.group(2)}")
