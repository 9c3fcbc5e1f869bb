"""Profiles as columns: the array form every later stage works on.

A pool is built once per roster and is independent of the other side, so what-if runs can
reuse it. People are ordered by id, which makes results independent of row order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar, overload

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from buddymatch._profiles import Local, Person
from buddymatch._vocab import MODE_BIT

_GENDER_CODE = {None: 0, "f": 1, "m": 2, "x": 3}


@dataclass(frozen=True)
class Pool:
    """Column arrays for one side (newcomers or locals), rows in id order."""

    ids: tuple[str, ...]
    lat: NDArray[np.float64]  # radians
    lon: NDArray[np.float64]  # radians
    levels: NDArray[np.int8]  # (n, n_languages): 0 = does not speak it
    slots: NDArray[np.int64]  # bitmask of free weekly slots
    modes: NDArray[np.int64]  # bitmask of travel modes
    max_travel: NDArray[np.float64]
    gender: NDArray[np.int8]  # 0 unknown, 1 f, 2 m, 3 x
    wants_same_gender: NDArray[np.bool_]
    age: NDArray[np.float64]  # NaN when unknown
    household: NDArray[np.int64]
    wants_dutch: NDArray[np.bool_]
    interests: sp.csr_matrix  # (n, n_tags) 0/1
    capacity: NDArray[np.int64]
    municipality: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.ids)

    def take(self, rows: NDArray[np.int64]) -> Pool:
        """The pool of the people at ``rows`` (in that order)."""
        return Pool(
            ids=tuple(self.ids[int(i)] for i in rows),
            lat=self.lat[rows],
            lon=self.lon[rows],
            levels=self.levels[rows],
            slots=self.slots[rows],
            modes=self.modes[rows],
            max_travel=self.max_travel[rows],
            gender=self.gender[rows],
            wants_same_gender=self.wants_same_gender[rows],
            age=self.age[rows],
            household=self.household[rows],
            wants_dutch=self.wants_dutch[rows],
            interests=sp.csr_matrix(self.interests[rows]),
            capacity=self.capacity[rows],
            municipality=tuple(self.municipality[int(i)] for i in rows),
        )

    @cached_property
    def xyz(self) -> NDArray[np.float64]:
        """Points on the unit sphere, one row per person (for straight-line distances)."""
        c = np.cos(self.lat)
        return np.column_stack([c * np.cos(self.lon), c * np.sin(self.lon), np.sin(self.lat)])

    @cached_property
    def level_masks(self) -> NDArray[np.uint64]:
        """(level 0–7, person, word) bitmasks: bit ``c`` of word ``c // 64`` is set when the
        person speaks language column ``c`` at that level or above."""
        n, k = self.levels.shape
        words = max((k + 63) // 64, 1)
        out = np.zeros((8, n, words), dtype=np.uint64)
        for col in range(k):
            bit = np.uint64(1) << np.uint64(col % 64)
            for level in range(8):
                out[level, self.levels[:, col] >= level, col // 64] |= bit
        return out

    @cached_property
    def interest_masks(self) -> NDArray[np.uint64]:
        """(person, word) bitmasks of ``interests``: bit ``t % 64`` of word ``t // 64`` is
        set when the person has interest tag ``t``, so two people's shared tags are an AND."""
        n, k = self.interests.shape
        tags = sp.coo_matrix(self.interests)
        out = np.zeros((n, max((k + 63) // 64, 1)), dtype=np.uint64)
        bits = np.left_shift(np.uint64(1), (tags.col % 64).astype(np.uint64))
        np.bitwise_or.at(out, (tags.row, tags.col // 64), bits)
        return out

    def in_vocabulary(self, own: Vocabulary, joint: Vocabulary) -> Pool:
        """This pool, built over ``own``, with its language and interest columns moved to
        ``joint`` (which holds every language and tag of ``own``): what :func:`build_pool`
        over ``joint`` gives, without going through the people again."""
        if own == joint:
            return self
        lang_col = {c: i for i, c in enumerate(joint.languages)}
        levels = np.zeros((self.size, len(joint.languages)), dtype=np.int8)
        levels[:, [lang_col[c] for c in own.languages]] = self.levels
        tag_col = {t: i for i, t in enumerate(joint.tags)}
        moved = np.array([tag_col[t] for t in own.tags], dtype=np.int32)
        # Both vocabularies are sorted, so the moved columns keep each row's order.
        interests = sp.csr_matrix(
            (self.interests.data, moved[self.interests.indices], self.interests.indptr),
            shape=(self.size, len(joint.tags)),
        )
        return dataclasses.replace(self, levels=levels, interests=interests)


@dataclass(frozen=True)
class Vocabulary:
    """Languages and interest tags shared by both pools, so their columns line up."""

    languages: tuple[str, ...]
    tags: tuple[str, ...]

    @classmethod
    def of(cls, *groups: Sequence[Person]) -> Vocabulary:
        langs = sorted({code for g in groups for p in g for code in p.languages})
        tags = sorted({t for g in groups for p in g for t in p.interests})
        return cls(tuple(langs), tuple(tags))

    def merged(self, other: Vocabulary) -> Vocabulary:
        """The languages and tags of both (what :meth:`of` gives for both groups of people)."""
        return Vocabulary(
            tuple(sorted({*self.languages, *other.languages})),
            tuple(sorted({*self.tags, *other.tags})),
        )


def build_pool(people: Sequence[Person], vocab: Vocabulary) -> Pool:
    """Columns for ``people`` (already in the order wanted; :func:`sort_by_id` first)."""
    n = len(people)
    lang_col = {c: i for i, c in enumerate(vocab.languages)}
    tag_col = {t: i for i, t in enumerate(vocab.tags)}
    levels = np.zeros((n, len(vocab.languages)), dtype=np.int8)
    rows: list[int] = []
    cols: list[int] = []
    for i, p in enumerate(people):
        for code, lvl in p.languages.items():
            levels[i, lang_col[code]] = int(lvl)
        for t in p.interests:
            rows.append(i)
            cols.append(tag_col[t])
    interests = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(n, len(vocab.tags))
    )
    return Pool(
        ids=tuple(p.id for p in people),
        lat=np.radians(np.array([p.lat for p in people], dtype=np.float64)),
        lon=np.radians(np.array([p.lon for p in people], dtype=np.float64)),
        levels=levels,
        slots=np.array([p.availability_mask for p in people], dtype=np.int64),
        modes=np.array([sum(MODE_BIT[m] for m in p.transport) for p in people], dtype=np.int64),
        max_travel=np.array([p.max_travel_min for p in people], dtype=np.float64),
        gender=np.array([_GENDER_CODE[p.gender] for p in people], dtype=np.int8),
        wants_same_gender=np.array([p.gender_preference == "same" for p in people], dtype=bool),
        age=np.array([np.nan if p.age is None else p.age for p in people], dtype=np.float64),
        household=np.array([p.household_size for p in people], dtype=np.int64),
        wants_dutch=np.array([p.wants_dutch_practice for p in people], dtype=bool),
        interests=interests,
        capacity=np.array(
            [p.capacity if isinstance(p, Local) else 1 for p in people], dtype=np.int64
        ),
        municipality=tuple(p.municipality or "" for p in people),
    )


P = TypeVar("P", bound=Person)


def sort_by_id(people: Sequence[P]) -> list[P]:
    return sorted(people, key=lambda p: p.id)


class PooledPeople(Sequence[P], Generic[P]):
    """People read in another process, with their pool built there (over their own
    vocabulary): matching needs only the pool, so the profiles themselves are not sent
    back at all. Should something ask for them, ``again()`` gives them (the file read
    once more): pickling them in the reading process and unpickling them here cost
    0.1–0.2 s of a 10,000-newcomer run that never used them.
    """

    def __init__(self, people: Sequence[P], again: Callable[[], Sequence[P]]) -> None:
        self.vocab = Vocabulary.of(people)
        self.pool = build_pool(sort_by_id(people), self.vocab)
        self._count = len(people)
        self._again = again
        self._people: list[P] | None = None

    def people(self) -> list[P]:
        """The profiles, from ``again()`` on the first call."""
        if self._people is None:
            people = list(self._again())
            if len(people) != self._count:
                raise RuntimeError("the people read again are not the people read before")
            self._people = people
        return self._people

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> P: ...
    @overload
    def __getitem__(self, index: slice) -> list[P]: ...
    def __getitem__(self, index: int | slice) -> P | list[P]:
        return self.people()[index]

    def __iter__(self) -> Iterator[P]:
        return iter(self.people())


def pools(newcomers: Sequence[Person], locals_: Sequence[Person]) -> tuple[Vocabulary, Pool, Pool]:
    """Both sides as columns over one vocabulary. Each side is people in id order
    (:func:`sort_by_id`), or :class:`PooledPeople`, whose pool (in id order) has its
    columns moved to the joint vocabulary instead of being built again."""
    own = [
        side.vocab if isinstance(side, PooledPeople) else Vocabulary.of(side)
        for side in (newcomers, locals_)
    ]
    vocab = own[0].merged(own[1])

    def pool(side: Sequence[Person], its_vocab: Vocabulary) -> Pool:
        if isinstance(side, PooledPeople):
            return side.pool.in_vocabulary(its_vocab, vocab)
        return build_pool(side, vocab)

    return vocab, pool(newcomers, own[0]), pool(locals_, own[1])
