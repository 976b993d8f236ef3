"""Read web archives (``.warc``, ``.warc.gz``) through ``warcio``.

Each ``response`` (or ``resource``) record holding HTML becomes an article through
:func:`newsindex.ingest.pages.article_from_html`; the record's ``WARC-Target-URI`` stands in for
a page without a canonical URL and its ``WARC-Date`` (when the page was fetched) for a page
without a publication date. Other records holding a payload (images, scripts, PDFs, redirects)
are skipped and passed to ``on_skipped`` with their address and content type; requests,
metadata and ``warcinfo`` records are not pages and are passed over silently. A record whose
page gives no article is an :class:`IngestError` naming the file and the record's number.
``warcio`` comes with the ``web`` extra: ``pip install 'newsindex[web]'``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator

from newsindex.errors import IngestError
from newsindex.ingest._extra import import_web
from newsindex.ingest.common import OnError, read_failure, report_error
from newsindex.ingest.dates import parse_date
from newsindex.ingest.pages import article_from_html
from newsindex.models import Article

__all__ = ["OnSkipped", "read_warc"]

OnSkipped = Callable[[str, str], None] | None
"""Called with the address and content type of each record skipped as not HTML, or ``None``."""

_PAGE_RECORDS = ("response", "resource")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def read_warc(
    path: str | os.PathLike[str], *, on_error: OnError = None, on_skipped: OnSkipped = None
) -> Iterator[Article]:
    """Yield an article for each HTML page a WARC file (gzipped or not) holds, in file order."""
    name = str(path)
    try:
        archive = import_web("warcio.archiveiterator", name, "web archives")
        stream = open(path, "rb")  # noqa: SIM115  # closed by the with below
    except IngestError as err:
        report_error(err, on_error)
        return
    except OSError as exc:
        report_error(IngestError(name, 0, read_failure(exc)), on_error)
        return
    number = 0
    with stream:
        try:
            for number, record in enumerate(archive.ArchiveIterator(stream), 1):
                if record.rec_type not in _PAGE_RECORDS:
                    continue
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                kind = _content_type(record)
                if kind not in _HTML_TYPES:
                    if on_skipped is not None:
                        on_skipped(uri, kind)
                    continue
                try:
                    article = article_from_html(
                        record.content_stream().read(),
                        name,
                        url=uri or None,
                        published=_fetched(record.rec_headers.get_header("WARC-Date")),
                    )
                except IngestError as err:
                    where = f"record {number} ({uri})" if uri else f"record {number}"
                    report_error(IngestError(name, 0, f"{where}: {err.reason}"), on_error)
                    continue
                yield article
        except archive.ArchiveLoadFailed as exc:
            reason = f"not a readable WARC file after record {number} ({exc})"
            report_error(IngestError(name, 0, reason), on_error)


def _content_type(record: object) -> str:
    """The media type of a record's payload: the HTTP header of a response, else the WARC one."""
    headers = getattr(record, "http_headers", None)
    value = headers.get_header("Content-Type") if headers is not None else None
    if not value:
        value = getattr(record, "content_type", None) or ""
    return str(value).split(";")[0].strip().lower()


def _fetched(value: str | None) -> dt.datetime | None:
    try:
        return parse_date(value)
    except (ValueError, TypeError):
        return None
