"""The suite itself: it runs from any environment and working directory, and every random test is reproducible.

Tests start talentflow through ``sys.executable`` (never a path inside the repository's .venv), random numbers
come from fixed seeds or from hypothesis (derandomized in CI), and no test asserts on wall-clock time (speed is
measured by ``make bench``, see benchmarks/).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import settings

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
#: Internal work items and folders outside the repository, which a reader of the repository cannot follow.
OUTSIDE_REFERENCES = re.compile(r"\bissues? [0-9]+|\.\./shared|\bthe issue allows|\bseed report\b")
#: Where such references must not appear: docs, configs, code (comments, docstrings, help texts) and tests.
PROJECT_FILES = ("README.md", "Makefile", "pyproject.toml", "docs/*.md", "configs/**/*.toml", "simulation/**/*.py",
                 "experiments/**/*.py", "benchmarks/**/*.py", "benchmarks/*.md", "tests/**/*.py")
#: (what is wrong, a pattern that finds it in a test file)
FORBIDDEN: dict[str, str] = {
    "a path into the repository's virtual environment": r"\.venv\b",
    "an unseeded numpy generator": r"default_rng\(\s*\)",
    "numpy's global random state": r"np\.random\.(seed|rand|randn|random|randint|choice|normal|uniform)\(",
    "Python's random module": r"^\s*(import random|from random import)",
    "a wall-clock measurement": r"perf_counter|process_time|time\.time\(\)|step_seconds",
}


def source_files() -> list[Path]:
    return sorted(p for p in TESTS.glob("*.py") if p.name != Path(__file__).name)


@pytest.mark.parametrize("problem", list(FORBIDDEN))
def test_no_test_file_holds(problem):
    pattern = re.compile(FORBIDDEN[problem], re.MULTILINE)
    found = [f"{path.name}:{text[:match.start()].count(chr(10)) + 1}" for path in source_files()
             for text in [path.read_text(encoding="utf-8")] for match in pattern.finditer(text)]
    assert found == [], f"{problem}: {', '.join(found)}"


def test_hypothesis_prints_how_to_reproduce_a_failure_and_is_derandomized_in_ci():
    assert settings.default.print_blob  # a failure prints @reproduce_failure(...) beside the falsifying example
    ci = settings.get_profile("ci")
    assert ci.derandomize and ci.print_blob and ci.database is None
    if os.environ.get("CI", "").lower() == "true":
        assert settings.default.derandomize  # the profile CI loads


def test_the_repository_stands_on_its_own():
    found = [f"{path.relative_to(ROOT)}:{text[:match.start()].count(chr(10)) + 1}: {match.group()}"
             for pattern in PROJECT_FILES for path in sorted(ROOT.glob(pattern)) if path != Path(__file__).resolve()
             for text in [path.read_text(encoding="utf-8")] for match in OUTSIDE_REFERENCES.finditer(text)]
    assert found == [], "cite the paper or data instead: " + "; ".join(found)
