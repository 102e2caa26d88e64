"""Links an import's replies to their parents, once the whole run is stored.

A reply may come before its parent in a file, so the batches store every comment top-level
with its parent's source id (ImportedComment); here each reply gets its parent and its depth.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, ScalarSelect, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from service.models import Comment, ImportedComment


def link_replies(session: Session, site_id: int, source: str) -> int:
    """Point each imported reply at its imported parent; the number left without one.

    Only a parent on the same article that is older (or as old and stored first) counts,
    which also makes a cycle of parents in a hostile file impossible."""
    replies = select(ImportedComment.comment_id).where(
        ImportedComment.site_id == site_id,
        ImportedComment.source == source,
        ImportedComment.parent_source_id.is_not(None),
    )
    session.execute(
        update(Comment)
        .where(Comment.parent_id.is_(None), Comment.id.in_(replies))
        # updated_at as it was: linking is no change to the comment (onupdate would say so).
        .values(parent_id=_imported_parent_id(), updated_at=Comment.updated_at)
        .execution_options(synchronize_session=False)
    )
    _deepen(session, replies)
    return _orphans(session, site_id, source)


def _imported_parent_id() -> ScalarSelect[int]:
    """The id of the comment's imported parent: same site and source, same article, and older
    (or as old and stored first); correlated to the Comment being updated."""
    child, parent = aliased(ImportedComment), aliased(ImportedComment)
    parent_comment = aliased(Comment)
    return (
        select(parent.comment_id)
        .join(
            child,
            and_(
                child.site_id == parent.site_id,
                child.source == parent.source,
                child.parent_source_id == parent.source_id,
            ),
        )
        .join(parent_comment, parent_comment.id == parent.comment_id)
        .where(
            child.comment_id == Comment.id,
            parent_comment.article_id == Comment.article_id,
            or_(
                parent_comment.created_at < Comment.created_at,
                and_(
                    parent_comment.created_at == Comment.created_at,
                    parent_comment.id < Comment.id,
                ),
            ),
        )
        .scalar_subquery()
    )


def _deepen(session: Session, replies: Select[int]) -> None:
    """Give each linked reply its depth in the thread (its parent's, plus one)."""
    parent_comment = aliased(Comment)
    new_depth = (
        select(parent_comment.depth + 1)
        .where(parent_comment.id == Comment.parent_id)
        .scalar_subquery()
    )
    # One level of the threads per round; parents always come first, so this ends.
    # An UPDATE's result is a CursorResult, which SQLAlchemy's hints leave a plain Result.
    while cast(
        CursorResult[Any],
        session.execute(
            update(Comment)
            .where(
                Comment.id.in_(replies), Comment.parent_id.is_not(None), Comment.depth != new_depth
            )
            .values(depth=new_depth, updated_at=Comment.updated_at)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount:
        pass


def _orphans(session: Session, site_id: int, source: str) -> int:
    """The imported replies of this source into this site that found no parent."""
    return (
        session.scalar(
            select(func.count())
            .select_from(ImportedComment)
            .join(Comment, Comment.id == ImportedComment.comment_id)
            .where(
                ImportedComment.site_id == site_id,
                ImportedComment.source == source,
                ImportedComment.parent_source_id.is_not(None),
                Comment.parent_id.is_(None),
            )
        )
        or 0
    )
