"""Tables as Markdown, CSV and LaTeX: numbers shown to three significant figures, intervals as ``a (b to c)``.

The tables are pandas frames of strings (or numbers for CSV); the writers below only lay them out.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def number(value: float, digits: int = 3) -> str:
    """A number to ``digits`` significant figures, whole numbers above 1,000 with thousands separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
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
    """A LaTeX ``table`` with a ``booktabs`` tabular (needs ``\\usepackage{booktabs}``)."""
    headers = [_escape(str(c)) for c in frame.columns]
    cells = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    spec = "l" + "".join("r" if all(_numeric(row[i]) for row in cells) else "l" for i in range(1, len(headers)))
    body = [" & ".join(_escape(c) for c in row) + r" \\" for row in cells]
    lines = [r"\begin{table}[htbp]", r"\centering", r"\small"]
    if caption:
        lines.append(rf"\caption{{{_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines += [rf"\begin{{tabular}}{{{spec}}}", r"\toprule", " & ".join(headers) + r" \\", r"\midrule", *body,
              r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


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
    return bool(re.match(r"^(-?[0-9]|n/a|-?inf)", text))


def _escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
