"""A report as a list of blocks (headings, paragraphs, tables, figures), rendered as Markdown and as HTML.

Markdown links its figures by relative path; HTML embeds them (base64 PNG), so report.html stands alone.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from experiments.analysis.tables import markdown


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str  # Markdown inline syntax: `code`, **bold**, [text](link)


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame
    caption: str = ""
    files: tuple[str, ...] = ()  # the same table as files, relative to the document


@dataclass(frozen=True)
class Figure:
    path: str  # the PNG, relative to the document
    caption: str = ""
    files: tuple[str, ...] = ()


@dataclass
class Document:
    """Blocks in reading order; ``root`` is the folder the relative paths start from."""

    title: str
    root: Path
    blocks: list[Heading | Paragraph | Table | Figure] = field(default_factory=list)

    def add(self, *blocks: Heading | Paragraph | Table | Figure) -> None:
        self.blocks.extend(blocks)

    def markdown(self) -> str:
        """The document as Markdown."""
        out = [f"# {self.title}", ""]
        for block in self.blocks:
            if isinstance(block, Heading):
                out += ["#" * block.level + " " + block.text, ""]
            elif isinstance(block, Paragraph):
                out += [block.text, ""]
            elif isinstance(block, Table):
                if block.caption:
                    out += [f"*{block.caption}*", ""]
                out += [markdown(block.frame), ""]
                if block.files:
                    out += ["Files: " + ", ".join(f"[{Path(f).name}]({f})" for f in block.files), ""]
            else:
                out += [f"![{block.caption}]({block.path})", ""]
                if block.caption:
                    out += [f"*{block.caption}*" + (" (" + ", ".join(f"[{Path(f).suffix[1:].upper()}]({f})"
                                                                       for f in block.files) + ")"
                                                     if block.files else ""), ""]
        return "\n".join(out).rstrip() + "\n"

    def html(self) -> str:
        """The document as one self-contained HTML page (figures embedded)."""
        body = [f"<h1>{html.escape(self.title)}</h1>"]
        for block in self.blocks:
            if isinstance(block, Heading):
                body.append(f"<h{block.level}>{_inline(block.text)}</h{block.level}>")
            elif isinstance(block, Paragraph):
                body.append(f"<p>{_inline(block.text)}</p>")
            elif isinstance(block, Table):
                caption = f"<caption>{_inline(block.caption)}</caption>" if block.caption else ""
                table = block.frame.to_html(index=False, border=0, escape=True, na_rep="n/a")
                body.append(table.replace("<thead>", f"{caption}<thead>", 1))
                if block.files:
                    body.append("<p class='files'>Files: " + ", ".join(
                        f"<a href='{html.escape(f)}'>{html.escape(Path(f).name)}</a>" for f in block.files) + "</p>")
            else:
                data = base64.b64encode((self.root / block.path).read_bytes()).decode()
                body.append(f"<figure><img src='data:image/png;base64,{data}' alt='{html.escape(block.caption)}'>"
                            f"<figcaption>{_inline(block.caption)}</figcaption></figure>")
        return (f"<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
                f"<title>{html.escape(self.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
                + "\n".join(body) + "\n</body>\n</html>\n")


_CSS = ("body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
        "table{border-collapse:collapse;margin:1rem 0;font-size:0.85rem}"
        "th,td{border-bottom:1px solid #ccc;padding:0.25rem 0.6rem;text-align:right}"
        "th:first-child,td:first-child{text-align:left}caption{caption-side:top;font-style:italic;text-align:left}"
        "figure{margin:1.5rem 0}img{max-width:100%}figcaption{font-style:italic}code{background:#f3f3f3}"
        ".files{font-size:0.85rem}")


def _inline(text: str) -> str:
    """Markdown inline syntax (code, bold, links) to HTML, everything else escaped."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r"<a href='\2'>\1</a>", out)
    return out
