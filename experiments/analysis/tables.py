"""Tables as Markdown, CSV and LaTeX: numbers shown to three significant figures, intervals as ``a (b to c)``.

The tables are pandas frames of strings (or numbers for CSV); the writers below only lay them out.
"""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path

import pandas as pd

#: Characters LaTeX reads as commands, and characters outside ASCII that pdflatex cannot set as they are: each
#: written as plain-ASCII LaTeX that needs no package, so a table compiles wherever it is ``\input``.
#: Letters with accents (é, ü, ç, ...) are spelt with LaTeX's accent commands by ``_accented``; any other
#: character outside ASCII is left as it is (add it here if a table needs it under pdflatex).
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
                  "\u2212": r"\ensuremath{-}", "\u00d7": r"\ensuremath{\times}", "\u00b1": r"\ensuremath{\pm}",
                  "\u2264": r"\ensuremath{\leq}", "\u2265": r"\ensuremath{\geq}", "\u2260": r"\ensuremath{\neq}",
                  "\u2248": r"\ensuremath{\approx}", "\u2192": r"\ensuremath{\rightarrow}",
                  "\u221e": r"\ensuremath{\infty}", "\u00b7": r"\ensuremath{\cdot}", "\u00b0": r"\ensuremath{^\circ}",
                  "\u03bc": r"\ensuremath{\mu}", "\u00b5": r"\ensuremath{\mu}", "\u2026": r"\ldots{}",
                  "\u2013": "--", "\u2014": "---",
                  "\u2018": "`", "\u2019": "'", "\u201c": "``", "\u201d": "''", "\u00a0": "~", "\u2009": r"\,",
                  "\u00df": r"\ss{}"}

#: Combining accents (of a letter's canonical decomposition) and the LaTeX accent command of each.
_LATEX_ACCENT = {"\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=", "\u0306": "u",
                 "\u0307": ".", "\u0308": '"', "\u030a": "r", "\u030b": "H", "\u030c": "v", "\u0327": "c",
                 "\u0328": "k"}

#: The file ``write_latex_document`` writes: never read back as a table.
LATEX_DOCUMENT = "tables_document.tex"

#: The packages the tables need: ``booktabs`` (rules; Debian's texlive-latex-recommended) and ``graphicx``
#: (``\resizebox``; texlive-latex-base).
LATEX_PACKAGES = ("booktabs", "graphicx")


def number(value: float, digits: int = 3) -> str:
    """A number to ``digits`` significant figures, whole numbers above 1,000 with thousands separators, and in
    scientific notation below 0.0001 (``4.33e-16``: a difference that is zero but for rounding stays readable)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude < -4:
        return f"{value:.{digits - 1}e}"
    if magnitude >= digits - 1:
        return f"{value:,.0f}"
    decimals = digits - 1 - magnitude
    return f"{value:,.{decimals}f}"


def value(x: float) -> str:
    """A parameter value as given (``1.5``, ``400,000``), without padding zeros."""
    return f"{x:,.10g}" if isinstance(x, (int, float)) else str(x)


def interval(estimate: float, low: float, high: float) -> str:
    """``estimate (low to high)``; ``unbounded`` when an interval has no finite bounds."""
    if math.isnan(low) or math.isnan(high):
        return number(estimate)
    if math.isinf(low) or math.isinf(high):
        return f"{number(estimate)} (unbounded)"
    return f"{number(estimate)} ({number(low)} to {number(high)})"


def comparison_wide(comparison: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    """One row a compared point (named by ``names``), one column a measure: ``estimate (low to high)``."""
    cells = comparison.assign(
        name=comparison["point"].map(names),
        column=comparison["label"] + " (" + comparison["unit"] + ")",
        cell=[interval(e, lo, hi) for e, lo, hi in
              zip(comparison["estimate"], comparison["ci_low"], comparison["ci_high"], strict=True)])
    order = list(dict.fromkeys(cells["column"]))
    wide = cells.pivot(index="name", columns="column", values="cell")
    wide = wide.loc[list(dict.fromkeys(cells["name"])), order]
    wide.index.name = ""
    wide.columns.name = None
    return wide.reset_index()


def markdown(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (first column left-aligned, others right-aligned)."""
    headers = [str(c) for c in frame.columns]
    rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    numeric = [all(_numeric(row[i]) for row in rows) for i in range(len(headers))]
    lines = ["| " + " | ".join(h.replace("|", "\\|") for h in headers) + " |",
             "|" + "|".join([":---", *("---:" if n else ":---" for n in numeric[1:])]) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def latex(frame: pd.DataFrame, caption: str = "", label: str = "") -> str:
    """A LaTeX ``table`` with a ``booktabs`` tabular (needs ``\\usepackage{booktabs}`` and ``\\usepackage{graphicx}``).

    The tabular is shrunk to the line width when it is wider, and kept at its size otherwise (see ``_fit``).
    """
    headers = [_escape(str(c)) for c in frame.columns]
    cells = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    spec = "l" + "".join("r" if all(_numeric(row[i]) for row in cells) else "l" for i in range(1, len(headers)))
    body = [" & ".join(_escape(c) for c in row) + r" \\" for row in cells]
    lines = [r"\begin{table}[htbp]", r"\centering", r"\small"]
    if caption:
        lines.append(rf"\caption{{{_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    tabular = [rf"\begin{{tabular}}{{{spec}}}", r"\toprule", " & ".join(headers) + r" \\", r"\midrule", *body,
               r"\bottomrule", r"\end{tabular}"]
    lines += [*_fit(tabular), r"\end{table}"]
    return "\n".join(lines) + "\n"


def latex_document(tables: list[str]) -> str:
    """A complete ``article`` that shows ``tables`` (each from ``latex``), one a page: for ``pdflatex``.

    Each table is followed by ``\\clearpage``, so any number of tables compiles (no float waits for a place).
    """
    preamble = [r"\documentclass{article}", r"\usepackage[utf8]{inputenc}",
                *(rf"\usepackage{{{package}}}" for package in LATEX_PACKAGES), r"\begin{document}"]
    body = [table.rstrip("\n") + "\n" + r"\clearpage" for table in tables]
    return "\n".join([*preamble, *body, r"\end{document}"]) + "\n"


def write_latex_document(folder: Path) -> Path:
    """Write ``folder/tables_document.tex``: a document of every LaTeX table in ``folder``, in order of file name.

    Files that are documents themselves (this one, or any with a ``\\documentclass``) are left out.
    """
    sources = [path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.tex")) if path.name != LATEX_DOCUMENT]
    target = folder / LATEX_DOCUMENT
    target.write_text(latex_document([text for text in sources if r"\documentclass" not in text]), encoding="utf-8")
    return target


def write_all(frame: pd.DataFrame, data: pd.DataFrame, folder: Path, stem: str, caption: str = "") -> list[Path]:
    """Write ``stem.md`` and ``stem.tex`` of the shown ``frame`` and ``stem.csv`` of the full-precision ``data``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{stem}.md", folder / f"{stem}.csv", folder / f"{stem}.tex"]
    paths[0].write_text(markdown(frame) + "\n", encoding="utf-8")
    data.to_csv(paths[1], index=False)
    paths[2].write_text(latex(frame, caption, f"tab:{stem}"), encoding="utf-8")
    return paths


def _cell(value: object) -> str:
    if isinstance(value, float):
        return number(value)
    return str(value)


def _numeric(text: str) -> bool:
    """Whether a cell shows a number (or an interval): right-aligned."""
    return bool(re.match("^([-\u2212]?[0-9]|n/a|[-\u2212]?inf)", text))


def _fit(tabular: list[str]) -> list[str]:
    """``tabular`` scaled down to the line width when it is wider, at its natural size otherwise.

    ``\\resizebox`` (graphicx) lets its size arguments read the natural ``\\width``: so the box is scaled only
    when it would overflow, and never enlarged.
    """
    return [r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%", *tabular, "}"]


def _escape(text: str) -> str:
    """``text`` as LaTeX: special characters escaped, Unicode symbols and accented letters as LaTeX commands."""
    return "".join(_LATEX_SPECIAL.get(ch) or _accented(ch) for ch in text)


def _accented(ch: str) -> str:
    """A letter with one accent as LaTeX's accent command (``é`` -> ``\\'{e}``); any other character unchanged."""
    parts = unicodedata.normalize("NFD", ch)
    if len(parts) == 2 and parts[0].isascii() and parts[0].isalpha() and parts[1] in _LATEX_ACCENT:
        letter = r"\i" if parts[0] == "i" else parts[0]
        return rf"\{_LATEX_ACCENT[parts[1]]}{{{letter}}}"
    return ch
