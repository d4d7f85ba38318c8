"""Vectorised encoders: keys, dates and categorical strings straight from numpy into Arrow arrays.

Keys are derived from the global patient index only, so they do not depend on how patients are chunked:

* ``patient_id`` = ``F`` + 12 upper-case hex digits of a seed-keyed bijection of the patient index on 48 bits
  (unique by construction, looks random);
* ``report_id`` = ``ORD-<patient index + 1, 9 digits>-<report number, 2 digits>``, ``sample_id`` =
  ``SA-<patient index * 10 + report number, 9 digits>``;
* ``visit_id`` = ``V<patient index * 1000 + visit number, 11 digits>``; ``alteration_id`` =
  ``ALT-<patient index * 100 + alteration number, 10 digits>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

EPOCH = date(1970, 1, 1)
DAYS_PER_MONTH = 30.4375
DAYS_PER_YEAR = 365.25
_MASK48 = np.uint64((1 << 48) - 1)
_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)


def day_number(value: date | str) -> int:
    """Days since 1970-01-01 of a date (or an ISO ``YYYY-MM-DD`` string)."""
    parsed = date.fromisoformat(value) if isinstance(value, str) else value
    return (parsed - EPOCH).days


def strings_from_bytes(matrix: npt.NDArray[np.uint8]) -> pa.Array:
    """Arrow string array from an (n, width) matrix of ASCII bytes, one fixed-width string per row."""
    n, width = matrix.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32) if n else np.zeros(1, dtype=np.int32)
    data = np.ascontiguousarray(matrix).tobytes()
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)])


_QUADS = np.array([list(f"{k:04d}".encode()) for k in range(10_000)], dtype=np.uint8)


def decimal_digits(values: IntArray, width: int) -> npt.NDArray[np.uint8]:
    """(n, width) ASCII matrix of zero-padded decimal representations (four digits per lookup)."""
    groups = -(-width // 4)
    out = np.empty((len(values), groups * 4), dtype=np.uint8)
    rest = values.astype(np.int64)
    for g in range(groups - 1, -1, -1):
        out[:, g * 4 : g * 4 + 4] = _QUADS[rest % 10_000]
        rest = rest // 10_000
    return out[:, groups * 4 - width :]


def prefixed(prefix: bytes, body: npt.NDArray[np.uint8], suffix: npt.NDArray[np.uint8] | None = None) -> pa.Array:
    """Concatenate a constant prefix, a digit matrix and an optional second matrix into a string array."""
    n = body.shape[0]
    head = np.broadcast_to(np.frombuffer(prefix, dtype=np.uint8), (n, len(prefix)))
    parts = [head, body] if suffix is None else [head, body, suffix]
    return strings_from_bytes(np.concatenate(parts, axis=1))


def patient_key_bits(patient_index: IntArray, seed: int) -> npt.NDArray[np.uint64]:
    """Seed-keyed bijection of patient indices on 48 bits (odd multiplier, xor-shifts, offset)."""
    mix = np.random.SeedSequence([seed, 0x5EED]).generate_state(2, dtype=np.uint64)
    multiplier = (mix[0] | np.uint64(1)) & _MASK48
    offset = mix[1] & _MASK48
    x = patient_index.astype(np.uint64)
    x = (x * multiplier + offset) & _MASK48
    x ^= x >> np.uint64(21)
    x = (x * np.uint64(0x9E3779B97F4B)) & _MASK48
    x ^= x >> np.uint64(17)
    return x


def patient_id_bytes(patient_index: IntArray, seed: int) -> npt.NDArray[np.uint8]:
    """(n, 13) ASCII matrix of patient ids ``F`` + 12 upper-case hex digits."""
    bits = patient_key_bits(patient_index, seed)
    shifts = np.arange(44, -1, -4, dtype=np.uint64)
    nibbles = ((bits[:, None] >> shifts[None, :]) & np.uint64(15)).astype(np.int64)
    out = np.empty((len(bits), 13), dtype=np.uint8)
    out[:, 0] = ord("F")
    out[:, 1:] = _HEX[nibbles]
    return out


def categorical(vocabulary: Sequence[str | None], codes: npt.NDArray[np.integer]) -> pa.Array:
    """String array taking ``vocabulary[code]`` per row (a ``None`` entry gives a null)."""
    return pa.array(list(vocabulary), type=pa.string()).take(pa.array(np.asarray(codes, dtype=np.int32)))


def date_array(days: IntArray, valid: BoolArray | None = None) -> pa.Array:
    """Arrow date32 array from day numbers; rows where ``valid`` is false are null."""
    mask = None if valid is None else ~valid
    return pa.array(days.astype(np.int32), type=pa.date32(), mask=mask)


def years_of(days: IntArray) -> IntArray:
    """Calendar year of each day number."""
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def months_of(days: IntArray) -> IntArray:
    """Months since 1970-01 of each day number."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_strings(days: IntArray) -> pa.Array:
    """``YYYY-MM`` strings of each day number."""
    months = months_of(days)
    year = months // 12 + 1970
    month = months % 12 + 1
    dash = np.full((len(days), 1), ord("-"), dtype=np.uint8)
    return strings_from_bytes(np.concatenate([decimal_digits(year, 4), dash, decimal_digits(month, 2)], axis=1))


def choice_codes(rng: np.random.Generator, weights: Sequence[float], size: int) -> IntArray:
    """Categorical draws with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=np.float64)
    cdf = np.cumsum(p / p.sum())
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(size), side="right").astype(np.int64)


def row_choice(rng: np.random.Generator, probabilities: FloatArray) -> IntArray:
    """One categorical draw per row of an (n, k) probability matrix (rows need not be normalised)."""
    cdf = np.cumsum(probabilities, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(int(probabilities.shape[0]))[:, None]
    return np.minimum((u > cdf).sum(axis=1), probabilities.shape[1] - 1).astype(np.int64)


def expand(counts: IntArray) -> tuple[IntArray, IntArray]:
    """Row owner and within-owner sequence number (0-based) for ``counts[i]`` rows per owner."""
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    seq = np.arange(len(owner), dtype=np.int64) - np.repeat(starts, counts)
    return owner, seq


def within_cumsum(values: IntArray, counts: IntArray) -> IntArray:
    """Cumulative sum of ``values`` restarted for each owner (rows grouped by owner, ``counts[i]`` rows each)."""
    if len(values) == 0:
        return values.copy()
    total = np.cumsum(values)
    starts = np.minimum(np.cumsum(counts) - counts, len(total) - 1)
    before = np.where(counts > 0, total[starts] - values[starts], 0)
    return total - np.repeat(before, counts)


class PatientIds:
    """The patient ids of one block as a byte matrix; rows are turned into Arrow strings on demand."""

    def __init__(self, patient_index: IntArray, seed: int) -> None:
        self.matrix = patient_id_bytes(patient_index, seed)

    def all(self) -> pa.Array:
        """One id per patient of the block."""
        return strings_from_bytes(self.matrix)

    def take(self, rows: IntArray) -> pa.Array:
        """The ids of the patients at ``rows`` (block positions, repeats allowed)."""
        return strings_from_bytes(self.matrix[rows])
