"""Where one submission's time goes: N submissions through the Flask test client with every
check on (as bench/submissions.py sets them), profiled by pyinstrument, plus the SQL
statements each one runs.

    python bench/profile_submission.py            # 300 submissions, SQLite in a temp folder
    python bench/profile_submission.py -n 1000 --html profile.html
    python bench/profile_submission.py -n 3000 --timed   # CPU per submission, no profiler
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from pyinstrument import Profiler
from sqlalchemy import event

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

from seed import seed_classifier  # noqa: E402
from seed_submissions import BANS, seed_bans  # noqa: E402
from submissions import CHECKS_ON, SUBMIT_PATH  # noqa: E402

from service import create_app  # noqa: E402
from service.extensions import db  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="submissions to profile")
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML report here")
    parser.add_argument(
        "--timed",
        action="store_true",
        help="no profiler: the wall and CPU time of each submission, as a worker would spend it",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(CHECKS_ON)
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/profile.db"
        os.environ["SECRET_KEY"] = "profile-secret-key-that-is-long-enough-for-hkdf"
        os.environ["INSTANCE_PATH"] = tmp
        app = create_app()
        with app.app_context():
            import flask_migrate

            flask_migrate.upgrade()
            seed_classifier()
            seed_bans(BANS)
        client = app.test_client()

        def submit(index: int) -> None:
            response = client.post(
                SUBMIT_PATH,
                json={
                    "name": f"Reader {index}",
                    "email": f"reader{index}@example.org",
                    "body": f"Comment {index}: the *feed* stays fast. See https://example.org/{index}",
                },
                headers={"X-Forwarded-For": f"10.1.{index // 256 % 256}.{index % 256}"},
            )
            assert response.status_code == 201, response.get_data(as_text=True)

        began = time.perf_counter()
        submit(-1)
        print(f"first submission in this process: {(time.perf_counter() - began) * 1000:.1f} ms")
        statements: list[str] = []
        with app.app_context():
            engine = db.engine

        def record(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", record)
        submit(-2)
        event.remove(engine, "before_cursor_execute", record)
        print(f"SQL statements in one submission: {len(statements)}")
        for statement in statements:
            print("   ", " ".join(statement.split())[:110])
        if args.timed:
            wall, cpu = time.perf_counter(), time.process_time()
            for index in range(args.n):
                submit(index)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(
                f"{args.n} submissions, no profiler: {wall * 1000 / args.n:.3f} ms each, "
                f"{cpu * 1000 / args.n:.3f} ms of CPU"
            )
            return 0
        profiler = Profiler(interval=0.0005)
        began = time.perf_counter()
        with profiler:
            for index in range(args.n):
                submit(index)
        elapsed = time.perf_counter() - began
        print(f"{args.n} submissions: {elapsed * 1000 / args.n:.2f} ms each, in-process")
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        if args.html:
            args.html.write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
