"""What the spam classifier costs a worker: memory, the first score, and the time per comment,
for the NumPy scorer the service uses and for scoring through scikit-learn (as before).

    python bench/classifier_memory.py [DATA_DIR]   # default ../shared/data/tubespam

A model is trained on TubeSpam's train.csv into a temporary SQLite database; then, for each
scorer, two fresh processes build the app, load the model, score once, and score val.csv one
comment at a time.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

from seed import TUBESPAM_TRAIN  # noqa: E402

from service import create_app  # noqa: E402

RUNS = 2


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def config(database_url: str) -> dict[str, Any]:
    return {
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hkdf",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ALLOWED_ORIGINS": ("https://blog.example.com",),
    }


def seed(database_url: str, train: Path) -> int:
    from service.extensions import db
    from service.models import ClassifierModel
    from service.screening.classifier.evaluation import read_labelled
    from service.screening.classifier.learning import fit

    with create_app(config(database_url)).app_context():
        db.create_all()
        comments, labels = read_labelled(train)
        blob = fit(comments, labels).to_bytes()
        db.session.add(ClassifierModel(blob=blob, ham_count=0, spam_count=0, metrics={}))
        db.session.commit()
    return len(blob)


def measure(database_url: str, scorer: str, val: Path) -> None:
    """In a fresh process: the app built, then the model loaded and one comment scored."""
    from service.screening.classifier import scoring
    from service.screening.classifier.evaluation import read_labelled

    app = create_app(config(database_url))
    comments, _ = read_labelled(val)
    with app.app_context():
        before = rss_mb()
        started = time.perf_counter()
        if scorer == "numpy":
            score = scoring.spam_scores
        else:
            from service.screening.classifier.learning import features

            weights: dict[str, Any] = {}

            def score(batch: Any) -> Any:
                # The scorer before: scikit-learn's features times the dense weights.
                if not weights:
                    model = scoring.current_model()
                    assert model is not None
                    weights["dense"] = np.zeros(sum(b.n_features for b in model.blocks))
                    weights["dense"][model.columns] = model.weights
                    weights["intercept"] = model.intercept
                return features(batch) @ weights["dense"] + weights["intercept"]

        score(comments[:1])
        first_ms = (time.perf_counter() - started) * 1000
        after = rss_mb()
        started = time.perf_counter()
        for comment in comments:
            score([comment])
        per_comment_ms = (time.perf_counter() - started) * 1000 / len(comments)
    print(
        f"{scorer:8} RSS {before:6.1f} -> {after:6.1f} MB (+{after - before:5.1f})  "
        f"first score {first_ms:6.1f} ms  then {per_comment_ms:.3f} ms a comment  "
        f"scikit-learn imported: {'sklearn' in sys.modules}"
    )


def main() -> int:
    if len(sys.argv) == 4:
        measure(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
        return 0
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else TUBESPAM_TRAIN.parent
    train, val = data / "train.csv", data / "val.csv"
    if not (train.exists() and val.exists()):
        print(f"needs {train} and {val}")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/classifier.db"
        print(f"stored model: {seed(url, train) / 1024:.0f} KB")
        for scorer in ("sklearn", "numpy"):
            for _ in range(RUNS):
                command = [sys.executable, __file__, url, scorer, str(val)]
                subprocess.run(command, check=True, timeout=300)
    return 0


if __name__ == "__main__":
    sys.exit(main())
