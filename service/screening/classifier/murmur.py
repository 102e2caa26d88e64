"""MurmurHash3 (x86, 32-bit, seed 0) of many short keys at once, in NumPy: the hash that
scikit-learn's feature hashing uses, so that scoring can do without scikit-learn."""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

_C1, _C2, _M = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF
# Longer keys are rare (a pasted link as one word) and hashed one at a time, so that one of
# them does not make the vectorised loop run once per four bytes of it for every key.
_VECTORISED_BLOCKS = 16

U32 = npt.NDArray[np.uint32]


def _rotl(x: U32, r: int) -> U32:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def _scramble(k: U32) -> U32:
    return _rotl(k * np.uint32(_C1), 15) * np.uint32(_C2)


def _finish(h: U32, lengths: U32) -> U32:
    h ^= lengths
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def _vectorised(keys: Sequence[bytes], lengths: npt.NDArray[np.int64]) -> U32:
    starts = np.cumsum(lengths) - lengths
    full = lengths // 4
    # The little-endian word at any byte offset: word_at[offset % 4, offset // 4]. The zero
    # padding lets the last key's tail read past its end (masked off below).
    raw = b"".join(keys) + bytes(8)
    count = (len(raw) - 4) // 4
    word_at = np.stack([np.frombuffer(raw, "<u4", count, offset) for offset in range(4)])
    # Longest first, so the keys still mixing in blocks are always a prefix.
    order = np.argsort(-full, kind="stable")
    h = np.zeros(len(keys), dtype=np.uint32)
    for j in range(int(full.max(initial=0))):
        active = int(np.count_nonzero(full > j))
        at = starts[order[:active]] + 4 * j
        k = _scramble(word_at[at & 3, at >> 2])
        h[:active] = _rotl(h[:active] ^ k, 13) * np.uint32(5) + np.uint32(0xE6546B64)
    hashes = np.empty_like(h)
    hashes[order] = h
    at = starts + 4 * full
    tail_bits = (8 * (lengths % 4)).astype(np.uint64)
    tail = word_at[at & 3, at >> 2] & ((np.uint64(1) << tail_bits) - np.uint64(1)).astype(np.uint32)
    # A zero tail mixes in as nothing, as when MurmurHash3 skips it.
    hashes ^= _scramble(tail)
    return _finish(hashes, lengths.astype(np.uint32))


def _one(key: bytes) -> int:
    h = 0
    blocks = len(key) // 4
    for (k,) in struct.iter_unpack("<I", key[: 4 * blocks]):
        k = (k * _C1) & _M
        k = (((k << 15) | (k >> 17)) & _M) * _C2 & _M
        h ^= k
        h = ((((h << 13) | (h >> 19)) & _M) * 5 + 0xE6546B64) & _M
    k = int.from_bytes(key[4 * blocks :], "little")
    if k:
        k = (k * _C1) & _M
        h ^= (((k << 15) | (k >> 17)) & _M) * _C2 & _M
    return h


def murmurhash3_32(keys: Sequence[bytes]) -> npt.NDArray[np.int32]:
    """Each key's MurmurHash3, signed, as scikit-learn's `murmurhash3_32(key, seed=0)`."""
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    long = lengths > 4 * _VECTORISED_BLOCKS
    if not long.any():
        return _vectorised(keys, lengths).view(np.int32)
    short = np.flatnonzero(~long).tolist()
    hashes = np.zeros(len(keys), dtype=np.uint32)
    hashes[short] = _vectorised([keys[i] for i in short], lengths[short])
    for i in np.flatnonzero(long).tolist():
        hashes[i] = _finish(
            np.array([_one(keys[i])], np.uint32), np.array([len(keys[i])], np.uint32)
        )[0]
    return hashes.view(np.int32)
