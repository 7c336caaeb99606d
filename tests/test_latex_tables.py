"""LaTeX tables: special characters and Unicode escaped exactly, and (with pdflatex) tables that compile and fit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from experiments.analysis import tables

PDFLATEX = shutil.which("pdflatex")
needs_pdflatex = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed")


# ------------------------------------------------------------------ escaping
@pytest.mark.parametrize(("text", "expected"), [
    ("50% & more", r"50\% \& more"),
    ("cost_B #1 $2", r"cost\_B \#1 \$2"),
    ("{a} ~b^c", r"\{a\} \textasciitilde{}b\textasciicircum{}c"),
    ("a\\b", r"a\textbackslash{}b"),
    ("a < b > c | d", r"a \textless{} b \textgreater{} c \textbar{} d"),
    ("plain text 1.5 (0.2 to 3)", "plain text 1.5 (0.2 to 3)"),
])
def test_escape_special_characters(text, expected):
    assert tables._escape(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("\u22121.5", r"\ensuremath{-}1.5"),
    ("2 \u00d7 3", r"2 \ensuremath{\times} 3"),
    ("x \u2264 1, y \u2265 2", r"x \ensuremath{\leq} 1, y \ensuremath{\geq} 2"),
    ("1.5 \u00b1 0.2", r"1.5 \ensuremath{\pm} 0.2"),
    ("and so on\u2026", r"and so on\ldots{}"),
    ("2010\u20132020 \u2014 ok", "2010--2020 --- ok"),
    ("\u201cquoted\u201d", "``quoted''"),
    ("\u221e", r"\ensuremath{\infty}"),
    ("caf\u00e9", r"caf\'{e}"),
    ("na\u00efve Z\u00fcrich gar\u00e7on \u00c9cole", r"na\"{\i}ve Z\"{u}rich gar\c{c}on \'{E}cole"),
    ("Stra\u00dfe", r"Stra\ss{}e"),
])
def test_escape_unicode_as_latex(text, expected):
    escaped = tables._escape(text)
    assert escaped == expected
    assert escaped.isascii()


def test_escape_leaves_unmapped_unicode_as_it_is():
    assert tables._escape("\u4e2d") == "\u4e2d"


def test_latex_wraps_the_tabular_in_a_shrink_only_resizebox():
    tex = tables.latex(pd.DataFrame({"a": ["x"], "b": ["1.0"]}), "A caption", "tab:t")
    lines = tex.splitlines()
    assert lines[0] == r"\begin{table}[htbp]" and lines[-1] == r"\end{table}"
    assert r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%" in lines
    assert lines.index(r"\end{tabular}") + 1 == lines.index("}")
    assert r"\begin{tabular}{lr}" in lines and r"\caption{A caption}" in lines and r"\label{tab:t}" in lines


def test_unicode_minus_cells_are_right_aligned():
    frame = pd.DataFrame({"name": ["a", "b"], "change": ["\u22121.5 (\u22122.0 to \u22121.0)", "0.5 (0.1 to 0.9)"]})
    assert r"\begin{tabular}{lr}" in tables.latex(frame)


def test_latex_document_holds_the_packages_and_each_table():
    first, second = tables.latex(_narrow()), tables.latex(_wide())
    doc = tables.latex_document([first, second])
    assert doc.startswith("\\documentclass{article}\n")
    assert r"\usepackage{booktabs}" in doc and r"\usepackage{graphicx}" in doc
    assert doc.index(r"\begin{document}") < doc.index(first) < doc.index(second) < doc.index(r"\end{document}")
    assert doc.endswith("\\end{document}\n")


def test_write_latex_document_collects_sorted_tables_and_never_itself(tmp_path):
    tables.write_all(_wide(), _wide(), tmp_path, "b_wide", caption="Wide")
    tables.write_all(_narrow(), _narrow(), tmp_path, "a_narrow", caption="Narrow")
    (tmp_path / "thesis.tex").write_text("\\documentclass{book}\n\\begin{document}\\end{document}\n")
    path = tables.write_latex_document(tmp_path)
    assert path == tmp_path / "tables_document.tex"
    first = path.read_text(encoding="utf-8")
    assert first.count(r"\begin{table}") == 2 and first.count(r"\documentclass") == 1
    assert first.index("tab:a_narrow") < first.index("tab:b_wide")
    assert tables.write_latex_document(tmp_path).read_text(encoding="utf-8") == first  # not picked up next time


# ------------------------------------------------------------------ compiling
def _wide() -> pd.DataFrame:
    """8 columns of intervals, 12 rows, with LaTeX specials and Unicode minus in headers and cells."""
    headers = [f"measure_{i} (% \u2212 & more)" for i in range(7)]
    rows = {"arm_name & co": [f"policy_{r} (50% & \u2212)" for r in range(12)]}
    for i, header in enumerate(headers):
        rows[header] = [f"\u2212{12.3 + r + i:.1f} (\u22124.56 to 20.1)" for r in range(12)]
    return pd.DataFrame(rows)


def _narrow() -> pd.DataFrame:
    return pd.DataFrame({"arm": ["grant", "hours_cut", "caf\u00e9 \u2264 2"],
                         "effect (%)": ["1.00 (0.500 to 1.50)", "\u22122.00 (\u22123.00 to \u22121.00)", "n/a"],
                         "ratio": ["2 \u00d7 3", "1 \u2026 2", "\u2014"]})


def _compile(tmp_path: Path, document: str) -> str:
    """Compile ``document`` with pdflatex in ``tmp_path``; its log (the test fails if pdflatex fails)."""
    source = tmp_path / "doc.tex"
    source.write_text(document, encoding="utf-8")
    run = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", source.name], cwd=tmp_path,
                         capture_output=True, text=True, errors="replace", timeout=120, check=False)
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert run.returncode == 0, log[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 0
    return log


def _unfitted(tex: str) -> str:
    """A table from ``tables.latex`` without its ``\\resizebox``: the tabular at its natural width."""
    return "\n".join(line for line in tex.splitlines() if not line.startswith(r"\resizebox") and line != "}") + "\n"


@needs_pdflatex
def test_wide_table_compiles_and_fits_the_page(tmp_path):
    log = _compile(tmp_path, tables.latex_document([tables.latex(_wide(), "A wide table: 50% & more", "tab:wide")]))
    assert "Overfull \\hbox" not in log


@needs_pdflatex
def test_wide_table_overflows_without_the_resizebox(tmp_path):
    """The control of the test above: the wide table really is wider than the page."""
    log = _compile(tmp_path, tables.latex_document([_unfitted(tables.latex(_wide(), "Wide", "tab:wide"))]))
    assert "Overfull \\hbox" in log


@needs_pdflatex
def test_narrow_table_compiles_at_its_natural_size(tmp_path):
    log = _compile(tmp_path, tables.latex_document([tables.latex(_narrow(), "Narrow \u2212 caf\u00e9", "tab:n")]))
    assert "Overfull \\hbox" not in log


@needs_pdflatex
def test_written_document_of_a_results_folder_compiles(tmp_path):
    for i in range(25):  # more tables than LaTeX keeps floats waiting
        tables.write_all(_wide() if i % 2 else _narrow(), _narrow(), tmp_path, f"table_{i:02d}", caption=f"T_{i}")
    document = tables.write_latex_document(tmp_path)
    log = _compile(tmp_path, document.read_text(encoding="utf-8"))
    assert "Overfull \\hbox" not in log
