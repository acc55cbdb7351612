"""Command line: parse, call :mod:`auditor.api`, print. Nothing else lives here.

Exit status: 0 when the command ran (a trace with no match included), 1 when ``verify``
finds a report that no longer holds or ``review`` finds hunks that need attention, 2 on bad input or an unusable index (one line on
stderr), 70 (EX_SOFTWARE) on an unexpected internal error.
"""
from __future__ import annotations

import functools
import json
import os
import sys

import click

from . import __version__
from .errors import AuditorError

FORMATS = ("text", "markdown", "json", "html")


def _fail(message: str) -> None:
    click.echo(f"auditor: error: {message}", err=True)
    sys.exit(2)


def _errors_to_exit(f):
    @functools.wraps(f)
    def wrapper(*a, **kw):
        try:
            return f(*a, **kw)
        except AuditorError as e:
            _fail(str(e).splitlines()[0] if str(e) else e.__class__.__name__)
        except Exception as e:
            if type(e).__module__.split(".")[0] == "redis":  # the server went away mid-query
                _fail(f"Redis: {' '.join(str(e).split())[:200] or e.__class__.__name__}")
            raise
        except KeyboardInterrupt:
            click.echo("auditor: interrupted", err=True)
            sys.exit(130)
    return wrapper


def index_option(f):
    return click.option("--index", "index_dir", type=click.Path(file_okay=False), default=None,
                        help="Index directory, or redis://HOST:PORT/DB for one pushed there (default: the "
                             "embedded index of this Python environment, built on first use).")(f)


def project_license_option(f):
    return click.option("--project-license", default=None, metavar="SPDX",
                        help="Your project's licence (e.g. GPL-2.0-only, MIT): say for each match whether its "
                             "source's licence can be combined into it (compatible, incompatible, needs review).")(f)


def executor_options(f):
    f = click.option("--executor", type=click.Choice(("local", "ray")), default="local", show_default=True,
                     help="Run the work in local processes or as Ray tasks (the auditor[ray] extra).")(f)
    return click.option("--ray-address", default=None, metavar="ADDR",
                        help="A running Ray cluster ('auto', ray://host:10001); default: start a local one.")(f)


def quiet_option(f):
    return click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary on stderr.")(f)


def _read_snippet(file: str | None) -> str:
    if file in (None, "-"):
        if file is None and sys.stdin.isatty():
            click.echo("Paste the snippet, then press Ctrl-D:", err=True)
        data = sys.stdin.buffer.read()
        where = "stdin"
    else:
        try:
            with open(file, "rb") as fh:
                data = fh.read()
        except OSError as e:
            raise AuditorError(f"cannot read {file}: {e.strerror}") from None
        where = file
    if b"\x00" in data[:65536]:
        raise AuditorError(f"{where} looks binary (it contains NUL bytes): give source code as text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise AuditorError(f"{where} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}): "
                           "convert it, e.g. with iconv -t utf-8") from None


def _trace_command(f):
    f = click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))(f)
    f = index_option(f)
    f = click.option("--top-k", "-k", type=click.IntRange(min=1), default=5, show_default=True,
                     help="Report at most this many matches.")(f)
    f = click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                     help="text for mail, terminals and pipes (72 columns); markdown for issues and "
                          "mailing lists; json for scripts and 'auditor verify'; html for a browser, side by side.")(f)
    f = click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
                     help="Write the report to this file (atomically) instead of stdout.")(f)
    f = click.option("--language", "-l", default=None,
                     help="Language of the snippet (e.g. Python, Java, C); guessed when omitted.")(f)
    f = project_license_option(f)
    return quiet_option(f)


def _do_trace(file, index_dir, top_k, fmt, language, project_license, quiet, output):
    from . import api

    text = _read_snippet(file)
    if project_license:
        from .licensing.compatibility import check_project_license

        project_license = check_project_license(project_license)  # before building or opening an index
    index = api.open_index(index_dir, show_progress=not quiet)
    result = api.trace_snippet(text, index, top_k=top_k, language=language, project_license=project_license)
    _emit(api.render(result, fmt), output)


def _emit(report: str, output: str | None) -> None:
    if output is None:
        click.echo(report, nl=False)
        return
    from .atomic import atomic_file

    try:
        with atomic_file(output, "w", encoding="utf-8") as fh:
            fh.write(report)
    except OSError as e:
        raise AuditorError(f"cannot write {output}: {e.strerror}") from None


TRACE_HELP = """Trace a code snippet to the indexed files it was copied from.

Reads FILE, or stdin when FILE is '-' or omitted (paste, then Ctrl-D). Prints the
matched source with its licence, evidence and holders, the matched lines as aligned
blocks, the verdict (verbatim, near-verbatim, similar or none) with the numbers behind
it, the attribution notice the snippet needed, and how to reproduce the trace. Exit
status 0 whether or not a match is found, 2 on bad input.
"""


@click.command("trace-snippet", help=TRACE_HELP)
@_trace_command
@click.version_option(__version__, prog_name="auditor")
@_errors_to_exit
def trace_snippet_cli(file, index_dir, top_k, fmt, language, project_license, quiet, output):
    _do_trace(file, index_dir, top_k, fmt, language, project_license, quiet, output)


@click.group(help="Trace machine-generated code to the licensed training files it came from.")
@click.version_option(__version__, prog_name="auditor")
def cli():
    pass


@cli.command("trace", help=TRACE_HELP)
@_trace_command
@_errors_to_exit
def trace_cmd(file, index_dir, top_k, fmt, language, project_license, quiet, output):
    _do_trace(file, index_dir, top_k, fmt, language, project_license, quiet, output)


cli.add_command(trace_cmd, "trace-snippet")  # the name of the stand-alone command, as reports write it


@cli.group("index", help="Build and inspect indexes.")
def index_group():
    pass


@index_group.command("build", help="""Index SOURCE... into DIR.

SOURCE is any of: a directory or archive (.tar.gz, .tgz, .zip, .whl) holding one
repository; a .parquet or .jsonl file, or a directory saved by datasets, in The Stack
v1 or v2 columns; hf:OWNER/NAME[:CONFIG][@SPLIT] for a hub dataset (online only);
env for the running Python environment. Building into an existing DIR replaces it
atomically: readers see the old index or the new one, never a mix.""")
@click.argument("sources", nargs=-1, required=True)
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False), help="Index directory to write.")
@click.option("--workers", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option("--window", type=click.IntRange(min=8), default=None, help="Tokens per window (default 32).")
@click.option("--stride", type=click.IntRange(min=1), default=None, help="Tokens between window starts (default 16).")
@click.option("--shingle", type=click.IntRange(min=1, max=12), default=None, help="Tokens per shingle (default 5).")
@click.option("--num-perm", type=click.IntRange(min=16, max=1024), default=None, help="MinHash permutations (default 128).")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="LSH Jaccard threshold (default 0.2); bands and rows are derived from it.")
@click.option("--no-header-scan", is_flag=True, help="Skip ScanCode on file headers (faster; licences then come "
              "from SPDX tags, package metadata and dataset columns only).")
@executor_options
@click.option("--shard-dir", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Write the build's intermediate parquet shards under DIR (removed at the end) instead of "
                   "inside the output's temporary directory; with --executor ray on several nodes, a directory "
                   "every node mounts.")
@quiet_option
@_errors_to_exit
def index_build(sources, out, workers, window, stride, shingle, num_perm, threshold, no_header_scan, executor,
                ray_address, shard_dir, quiet):
    from . import api

    config = api.make_config(shingle=shingle, window=window, stride=stride, num_perm=num_perm, threshold=threshold)
    manifest, stats = api.build_index(list(sources), out, config, workers=workers, scan_headers=not no_header_scan,
                                      show_progress=not quiet, executor=executor, ray_address=ray_address,
                                      shard_dir=shard_dir)
    if not quiet:
        click.echo(f"auditor: {stats.summary()}", err=True)
    click.echo(f"{manifest['id']}\t{out}")


@index_group.command("push", help="""Load the index in DIRECTORY into Redis at URL (redis://host:port/db).

Every user can then query it with --index URL (trace-snippet, audit, review), without a
copy of their own; URL?index=ID picks one of several pushed indexes (default: the
latest). The index is checked against its manifest before it is pushed.""")
@click.argument("directory", type=click.Path(file_okay=False))
@click.argument("url")
@quiet_option
@_errors_to_exit
def index_push(directory, url, quiet):
    from . import api

    click.echo(f"{api.push_index(directory, url, show_progress=not quiet)}\t{url}")


@index_group.command("info", help="Show an index's manifest: id, parameters, sources and counts.")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--check", is_flag=True, help="Also verify the sha256 of every table (reads the whole index).")
@_errors_to_exit
def index_info(directory, check):
    from .index.layout import check_tables, read_manifest

    manifest = read_manifest(directory)
    out = {k: manifest.get(k) for k in ("schema", "id", "created", "tool", "config", "sources", "counts")}
    if check:
        bad = check_tables(directory, manifest)
        out["check"] = "ok" if not bad else {"damaged": bad}
    click.echo(json.dumps(out, indent=2))
    if check and bad:
        _fail(f"damaged index {directory}: {', '.join(bad)} "
              f"{'does' if len(bad) == 1 else 'do'} not match the size and sha256 in its manifest; rebuild it")


@index_group.command("env", help="Build (if needed) the embedded index of this Python environment and print its path.")
@click.option("--rebuild", is_flag=True, help="Rebuild it even if a cached one exists.")
@quiet_option
@_errors_to_exit
def index_env(rebuild, quiet):
    from . import api

    click.echo(str(api.ensure_env_index(show_progress=not quiet, rebuild=rebuild)))


@cli.command("audit", help="""Trace every generation in QUERIES against an index.

QUERIES is a .jsonl, .csv or .parquet file, a dataset saved by `datasets`
(save_to_disk), or hf:owner/name[:config][@split] (online only).

Writes OUTDIR/results.jsonl (one trace JSON per generation, with its id),
OUTDIR/results.parquet (one flat row per generation and match, for SQL and
pandas), OUTDIR/summary.json and OUTDIR/summary.md (match rates by verdict,
licence category, licence, model; missing attributions; top source
repositories). A row that cannot be traced (empty text, binary) is recorded
with an error and the audit goes on.

The work is split into shards of 64 generations run on every core. It is
resumable: run the same command again after an interruption (Ctrl-C, a crash,
kill -9) and only the missing shards are traced.""")
@click.argument("queries")
@index_option
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--id-column", default="id", show_default=True, help="Column holding each generation's id.")
@click.option("--text-column", default="text", show_default=True, help="Column holding the generated code.")
@click.option("--model-column", default=None, help="Column naming the model of each generation (per-model figures).")
@click.option("--prompt-column", default=None,
              help="Column holding the prompt: a copy already in the prompt is reported apart, not as the model's.")
@click.option("--license-answer-column", default=None,
              help="Column holding the model's own answer when asked for the licence (licence accuracy).")
@click.option("--top-k", "-k", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--workers", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@project_license_option
@executor_options
@quiet_option
@_errors_to_exit
def audit_cmd(queries, index_dir, out_dir, id_column, text_column, model_column, prompt_column,
              license_answer_column, top_k, workers, project_license, executor, ray_address, quiet):
    from . import api

    counts = api.audit(queries, out_dir, index_dir, id_column=id_column, text_column=text_column,
                       model_column=model_column, prompt_column=prompt_column,
                       license_answer_column=license_answer_column, top_k=top_k, workers=workers,
                       show_progress=not quiet, project_license=project_license, executor=executor,
                       ray_address=ray_address)
    click.echo(json.dumps({"out": out_dir, **counts}))


@cli.command("verify", help="""Re-run the trace a JSON report records and confirm it.

REPORT is a report written by 'trace-snippet --format json' (schema auditor.trace/2):
it holds the snippet, the index and the parameters. The trace is run again against
that index (or --index DIR) and every claim is compared: verdict, matched files and
lines, measures, aligned blocks, licence, evidence, holders and attribution.

Exit status 0 when the report holds, 1 when it does not (each difference is listed),
2 on an unreadable report or index.""")
@click.argument("report", type=click.Path(dir_okay=False))
@click.option("--index", "index_dir", type=click.Path(file_okay=False), default=None,
              help="Index directory to re-run against (default: the one the report names).")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@_errors_to_exit
def verify_cmd(report, index_dir, fmt):
    from . import api

    confirmation = api.verify_report(report, index_dir)
    if fmt == "json":
        click.echo(json.dumps(confirmation.__dict__, indent=2, ensure_ascii=False))
    else:
        from .report.confirm import render_confirmation

        click.echo(render_confirmation(confirmation, report), nl=False)
    sys.exit(0 if confirmation.confirmed else 1)


@cli.command("review", help="""Review a patch: trace the lines it adds, hunk by hunk.

PATCH is a unified diff or 'git format-patch' output; '-' or nothing reads stdin
(git show HEAD | auditor review --project-license GPL-2.0-only). Each hunk's added
lines are traced; a hunk needs attention when it holds a copy (verbatim or
near-verbatim) whose licence is incompatible with --project-license or needs review,
or whose attribution is required but missing from the patch. Findings carry the
matched source, licence, holders, verdict and notice.

Exit status: 0 clean, 1 findings that need attention, 2 bad input. Usable from CI and
pre-commit hooks.""")
@click.argument("patch", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@index_option
@project_license_option
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "markdown", "json")), default="text",
              show_default=True, help="text for terminals and mail, markdown to reply on a list or forge, json for CI.")
@click.option("--top-k", "-k", type=click.IntRange(min=1), default=3, show_default=True, help="Matches per hunk.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="Write the review to this file.")
@quiet_option
@_errors_to_exit
def review_cmd(patch, index_dir, project_license, fmt, top_k, output, quiet):
    from . import api

    text = _read_snippet(patch)
    review = api.review_patch(text, index_dir, project_license=project_license, top_k=top_k,
                              show_progress=not quiet)
    from .report.review_report import REVIEW_RENDERERS

    _emit(REVIEW_RENDERERS[fmt](review), output)
    sys.exit(review.exit_status)


@cli.command("membership", help="""Is my code in this training set? List which files of REPO_DIR,
or near copies of them, the index holds, and under which repository names.

Each source file is looked up by its git blob id (exact: the same bytes) and by its
MinHash windows (near copy: at least --min-share of its windows found in one indexed
file, the share reported). Every indexed repository and path holding it is listed,
with its licence: the evidence an opt-out request needs.""")
@click.argument("repo_dir", type=click.Path(file_okay=False))
@index_option
@click.option("--min-share", type=click.FloatRange(0.01, 1.0), default=0.5, show_default=True,
              help="Share of a file's windows an indexed file must hold to count as a near copy.")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="Write the result to this file.")
@quiet_option
@_errors_to_exit
def membership_cmd(repo_dir, index_dir, min_share, fmt, output, quiet):
    from . import api
    from .report.membership_report import MEMBERSHIP_RENDERERS

    report = api.membership(repo_dir, index_dir, min_share=min_share, show_progress=not quiet)
    _emit(MEMBERSHIP_RENDERERS[fmt](report), output)


def _run(command: click.Command, argv, prog_name: str) -> None:
    """Run a click command, turning usage errors into one line on stderr and exit status 2."""
    try:
        rv = command.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("auditor: interrupted", err=True)
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as e:
        click.echo(e.format_message())
        sys.exit(0)
    except click.ClickException as e:
        hint = f" (see {prog_name} --help)" if isinstance(e, click.UsageError) else ""
        click.echo(f"auditor: error: {' '.join(e.format_message().split())}{hint}", err=True)
        sys.exit(2)
    except Exception as e:  # a bug, not bad input: say so in one line, keep the traceback on request
        if os.environ.get("AUDITOR_DEBUG"):
            raise
        click.echo(f"auditor: internal error: {e.__class__.__name__}: {e} "
                   "(a bug: please report it; AUDITOR_DEBUG=1 shows the traceback)", err=True)
        sys.exit(70)
    sys.exit(rv if isinstance(rv, int) else 0)


def main(argv=None):
    _run(cli, argv, "auditor")


def trace_snippet_main(argv=None):
    _run(trace_snippet_cli, argv, "trace-snippet")
