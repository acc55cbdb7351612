"""HTML report: one self-contained file showing each alignment side by side.

Everything shown is escaped with :func:`html.escape`; the page loads nothing and runs no
script, and its Content-Security-Policy forbids both, so a hostile snippet, path or licence
text can neither run code nor fetch anything even if an escape were missed.
"""
from __future__ import annotations

from html import escape

from ..models import Match, TraceResult, look_alikes_phrase
from .columns import clean, plural
from .reproduce import SNIPPET_ARG, reproduce_info, thresholds_phrase
from .text import also_in_phrase, block_lines, evidence_phrase, measures_phrase

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#1b1b1b}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
code,pre,td.code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#f6f6f6;padding:.8em;overflow-x:auto;white-space:pre-wrap}
table.align{border-collapse:collapse;width:100%;table-layout:fixed;margin:1em 0}
table.align th{text-align:left;background:#eee;padding:.3em;font-weight:600}
table.align td{vertical-align:top;padding:0 .4em;white-space:pre-wrap;overflow-wrap:anywhere}
col.n{width:3.5em}td.n{text-align:right;color:#777;user-select:none}
td.exact{background:#dff5e1}td.renamed{background:#fff1c2}td.none{background:#fafafa}
tr.block td{border-top:2px solid #999;color:#555;font-size:12px;padding:.3em .4em}
.verdict{display:inline-block;padding:.1em .5em;border-radius:4px;background:#333;color:#fff}
.legend span{padding:0 .5em;margin-right:1em}.legend .exact{background:#dff5e1}
.legend .renamed{background:#fff1c2}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; script-src 'none'"


def _e(s) -> str:
    return escape(clean(str(s)), quote=True)


def _cells(n: int | None, line: str, kind: str) -> str:
    if n is None:
        return '<td class="n"></td><td class="code none"></td>'
    return f'<td class="n">{n}</td><td class="code {kind}">{_e(line.expandtabs(4))}</td>'


def alignment_table(m: Match, snippet_text: str) -> str:
    """Snippet lines beside source lines, block by block, paired like a line diff: lines the
    two share green, lines equal only after normalising names and literals amber, a line only
    one side has (a comment, a blank) plain."""
    rows = []
    for k, (b, pairs) in enumerate(block_lines(m, snippet_text), 1):
        kind = "exact" if b.exact else "renamed"
        rows.append(f'<tr class="block"><td colspan="4">block {k}: snippet {b.snippet_lines[0]}-{b.snippet_lines[1]}, '
                    f'source {b.source_lines[0]}-{b.source_lines[1]}, {plural(b.tokens, "token")}, '
                    f'{"identical" if b.exact else "same after normalising names and literals"}</td></tr>')
        for i, left, j, right in pairs:
            if i is None or j is None:
                cls = "alone"
            else:
                cls = "exact" if left.split() == right.split() else kind
            rows.append(f"<tr>{_cells(i, left, cls)}{_cells(j, right, cls)}</tr>")
    head = (f'<tr><th colspan="2">snippet</th><th colspan="2">{_e(m.source.repo_name)}: '
            f'{_e(m.source.path)}</th></tr>')
    cols = '<colgroup><col class="n"><col><col class="n"><col></colgroup>'
    return f'<table class="align">{cols}{head}{"".join(rows)}</table>'


def _dl(items: list[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def _match(m: Match, total: int, snippet_text: str) -> str:
    s = m.source
    items = [
        ("source", f"{_e(s.repo_name)}: <code>{_e(s.path)}</code>, lines {m.source_lines[0]}-{m.source_lines[1]}"
                   + (f", revision {_e(s.revision)}" if s.revision else "")),
        ("SWHID", f"<code>{_e(s.swhid)}</code>"),
        ("licence", f"{_e(s.license or 'unknown')} ({_e(s.license_category)})"),
        ("evidence", _e(evidence_phrase(m))),
        ("holders", _e(", ".join(s.holders) or "not recorded")),
    ]
    if m.also_in:
        items.append(("also in", _e(also_in_phrase(m, 10))))
    items += [("snippet", f"lines {m.snippet_lines[0]}-{m.snippet_lines[1]}"), ("measures", _e(measures_phrase(m)))]
    if m.why:
        items.append(("verdict because", _e(m.why)))
    if m.compatibility:
        c = m.compatibility
        items.append(("project licence", f"<strong>{_e(c['verdict'])}</strong> with {_e(c['project_license'])}: "
                                         f"{_e(c['reason'])}"))
    return (f'<section class="match"><h2>Match {m.rank} of {total}: <span class="verdict">{_e(m.verdict)}</span>'
            f'</h2>{_dl(items)}{alignment_table(m, snippet_text)}</section>')


def render_html(r: TraceResult) -> str:
    s, ix, a = r.snippet, r.index, r.attribution
    head = [("snippet", f"{plural(s.lines, 'line')}, {plural(s.tokens, 'token')}, "
                        f"language {_e(s.language or 'C-like (guessed)')}"),
            ("SWHID", f"<code>{_e(s.swhid)}</code>"),
            ("index", f"<code>{_e(ix.get('id'))}</code>, {plural(ix.get('files'), 'file')}, "
                      f"{plural(ix.get('windows'), 'window')}")]
    if r.look_alikes is not None and not r.note:
        head.append(("common", _e(f"{look_alikes_phrase(r.look_alikes)} code shaped like this snippet")))
    body = [f"<h1>auditor trace: <span class=\"verdict\">{_e(r.verdict)}</span></h1>", _dl(head)]
    if r.note:
        body.append(f"<p><strong>Note:</strong> {_e(r.note)}</p>")
    if not r.matches:
        body.append("<p>No match: nothing in the index shares enough code with this snippet.</p>")
    else:
        body.append('<p class="legend"><span class="exact">identical line</span>'
                    '<span class="renamed">same after normalising names and literals</span>'
                    '<span>line only one side has</span></p>')
    body += [_match(m, len(r.matches), s.text) for m in r.matches]
    if a.required:
        state = "present in" if a.present_in_snippet else "<strong>missing</strong> from"
        if a.wrong_license:
            state = "<strong>a wrong licence is named</strong> in"
        att = f"<p>Required; {state} the snippet: {_e(a.reason)}.</p>"
    else:
        att = f"<p>Not required: {_e(a.reason)}.</p>"
    if a.license:
        att += f"<p>Licence of the copied code: {_e(a.license)}.</p>"
    if a.notice:
        att += f"<p>Notice that should accompany the snippet:</p><pre>{_e(a.notice)}</pre>"
    body.append(f"<h2>Attribution</h2>{att}")
    info = reproduce_info(r)
    rix = info["index"]
    body.append("<h2>How to reproduce</h2>" + _dl([
        ("tool", _e(f"auditor {info['tool']['version']}, Python {info['python']}")),
        ("index", f"<code>{_e(rix['id'])}</code> (<code>{_e(rix['config'])}</code>) at <code>{_e(rix['path'])}</code>"),
        ("manifest sha256", f"<code>{_e(rix['manifest_sha256'])}</code>"),
        ("corpus", _e(", ".join(str(x) for x in info["sources"]) or "not recorded")),
        ("thresholds", _e(thresholds_phrase(info))),
    ]) + f"<p>With <code>{SNIPPET_ARG}</code> a file holding the snippet (<code>git hash-object {SNIPPET_ARG}</code>"
         f" prints <code>{_e(info['snippet_swhid'].rsplit(':', 1)[1])}</code>):</p>"
         f"<pre>$ {_e(info['python_call'] or info['command'])}\n$ {_e(info['verify_command'])}</pre>")
    title = _e(f"auditor trace: {r.verdict}" + (f" - {r.matches[0].source.path}" if r.matches else ""))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{title}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
