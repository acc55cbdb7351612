"""Pure renderers from a TraceResult to text. ``RENDERERS[fmt](result) -> str``."""
from __future__ import annotations

from .html import render_html
from .json_report import render_json, trace_dict
from .markdown import render_markdown
from .text import render_text

RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "html": render_html}

__all__ = ["RENDERERS", "render_html", "render_json", "render_markdown", "render_text", "trace_dict"]
