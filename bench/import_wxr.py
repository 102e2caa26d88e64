"""Import speed and peak memory for a generated WordPress export (WXR).

    python bench/import_wxr.py                      # 100,000 comments into a fresh SQLite file
    python bench/import_wxr.py --comments 20000 --database-url postgresql+psycopg://…/scratch

Writes the export to a temporary directory (1,000 posts, threaded replies, some spam, trash
and pending), migrates an empty database, runs the same use case `flask import wordpress`
runs, and prints comments per second (validation pass included; per wall-clock and per
CPU second, which a busy machine does not skew) and the process's peak resident memory.
The database given with --database-url must be empty; it is left as is.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate

from service import create_app
from service.portability.importer import run_import
from service.portability.records import ArticleKeyRule
from service.portability.wordpress import WordPressReader

HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Bench</title><link>https://bench.example</link><wp:wxr_version>1.2</wp:wxr_version>
"""
STATES = ["1"] * 85 + ["0"] * 8 + ["spam"] * 5 + ["trash"] * 2
WORDS = "the of and to in is was that for on with as by at from lorem ipsum dolor café ünïcode"


def write_wxr(path: Path, comments: int, posts: int = 1000) -> None:
    rng = random.Random(7)
    words = WORDS.split()
    per_post = max(1, comments // posts)
    comment_id = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        for post in range(posts):
            out.write(
                f"<item><title>Post {post}</title>"
                f"<link>https://bench.example/{2000 + post % 20}/post-{post}/</link>"
                f"<wp:post_id>{post + 1}</wp:post_id><wp:post_name>post-{post}</wp:post_name>"
                "<content:encoded><![CDATA[<p>Post body.</p>]]></content:encoded>\n"
            )
            first = comment_id + 1
            for _ in range(min(per_post, comments - comment_id)):
                comment_id += 1
                parent = (
                    rng.randint(first, comment_id - 1)
                    if comment_id > first and rng.random() < 0.4
                    else 0
                )
                body = " ".join(rng.choice(words) for _ in range(rng.randint(10, 60)))
                user = rng.randint(1, 20000)
                date = f"2024-0{1 + post % 9}-1{comment_id % 10} 10:{comment_id % 60:02d}:00"
                fields = {
                    "comment_id": comment_id,
                    "comment_author": f"<![CDATA[Reader {user}]]>",
                    "comment_author_email": f"<![CDATA[reader{user}@example.org]]>",
                    "comment_author_url": f"https://r{user}.example.org/",
                    "comment_author_IP": f"198.51.{user % 256}.{user // 256}",
                    "comment_date_gmt": date,
                    "comment_content": f"<![CDATA[{escape(body)} <em>{comment_id}</em>\n\n"
                    "Second paragraph.]]>",
                    "comment_approved": rng.choice(STATES),
                    "comment_type": "comment",
                    "comment_parent": parent,
                }
                inner = "".join(f"<wp:{name}>{value}</wp:{name}>" for name, value in fields.items())
                out.write(f"<wp:comment>{inner}</wp:comment>\n")
            out.write("</item>\n")
        out.write("</channel></rss>\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--database-url", help="an EMPTY database (default: a temporary SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        wxr = Path(folder) / "export.xml"
        write_wxr(wxr, args.comments)
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-" + "x" * 40})
        with app.app_context():
            flask_migrate.upgrade()
            started, cpu_started = time.perf_counter(), time.process_time()
            report = run_import(WordPressReader(wxr, ArticleKeyRule("path")))
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size_mb = wxr.stat().st_size / 1e6
        print(f"database: {url.split(':', 1)[0]}; file: {size_mb:.0f} MB WXR")
        print(f"imported {report.imported} of {report.found} comments in {elapsed:.1f} s")
        print(f"{report.imported / elapsed:,.0f} comments/s (validation pass included)")
        # On a shared machine the wall clock counts other processes' turns; CPU time does not.
        print(f"{report.imported / cpu:,.0f} comments per CPU-second ({cpu:.1f} s of CPU)")
        print(f"peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
