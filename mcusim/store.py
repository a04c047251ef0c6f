"""The measurement store: every run, emulated or measured on a board, in one SQLite file.

One row in `runs` per run (what ran, where, with which model and calibration, how many cycles),
one row in `run_layers` per layer of that run. Writes are one transaction per run
(`BEGIN IMMEDIATE` ... `COMMIT`, WAL journal): a process killed in the middle of a write
leaves the database as it was before that run, with every earlier run in it.

The schema is versioned with `PRAGMA user_version` and upgraded in place by `MIGRATIONS`
(one SQL script per version, applied in order inside one transaction), so a newer mcusim
opens a database written by an older one. A database from a newer mcusim is refused.

Where the file lives: `--db PATH`, else `$MCUSIM_DB`, else
`platformdirs.user_data_dir("mcusim")/measurements.sqlite`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from mcusim.errors import McusimError

DB_ENV = "MCUSIM_DB"
DB_FILENAME = "measurements.sqlite"
SOURCES = ("emulator", "board")

# Migrations: MIGRATIONS[i] takes a database from user_version i to i + 1.
# Never edit a released entry; append a new one.
MIGRATIONS: tuple[str, ...] = (
    # v1: the first layout.
    """
    CREATE TABLE runs (
        id            INTEGER PRIMARY KEY,
        created_at    TEXT NOT NULL,
        source        TEXT NOT NULL CHECK (source IN ('emulator', 'board')),
        elf_sha256    TEXT NOT NULL,
        board         TEXT NOT NULL,
        model         TEXT,
        dtype         TEXT,
        clock_hz      INTEGER,
        n_samples     INTEGER,
        cycles_total  INTEGER,
        outputs_crc32 INTEGER
    );
    CREATE TABLE layer_cycles (
        run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        layer_index INTEGER NOT NULL,
        layer_name  TEXT,
        cycles      INTEGER NOT NULL,
        PRIMARY KEY (run_id, layer_index)
    );
    """,
    # v2: provenance (toolchain, versions, calibration), init cycles, status, probe, extras;
    # the layer table renamed; an index for pairing emulated and measured runs.
    """
    ALTER TABLE runs ADD COLUMN elf_path TEXT;
    ALTER TABLE runs ADD COLUMN model_hash TEXT;
    ALTER TABLE runs ADD COLUMN model_version TEXT;
    ALTER TABLE runs ADD COLUMN toolchain TEXT;
    ALTER TABLE runs ADD COLUMN mcusim_version TEXT;
    ALTER TABLE runs ADD COLUMN cycle_model_version TEXT;
    ALTER TABLE runs ADD COLUMN calibration TEXT;
    ALTER TABLE runs ADD COLUMN cycles_init INTEGER;
    ALTER TABLE runs ADD COLUMN status INTEGER;
    ALTER TABLE runs ADD COLUMN probe_uid TEXT;
    ALTER TABLE runs ADD COLUMN extra_json TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE layer_cycles RENAME TO run_layers;
    CREATE INDEX runs_pairing ON runs (elf_sha256, board, source, id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass
class LayerCycles:
    """Cycles of one layer, summed over every sample of the run."""

    index: int
    name: str | None
    cycles: int


@dataclass
class RunRecord:
    """One run as stored. `id` and `created_at` are filled in by `Store.record`."""

    source: str  # "emulator" or "board"
    elf_sha256: str
    board: str
    model: str | None = None
    dtype: str | None = None
    clock_hz: int | None = None
    n_samples: int | None = None
    cycles_total: int | None = None  # all inferences, as the firmware counted them
    outputs_crc32: int | None = None
    elf_path: str | None = None
    model_hash: str | None = None
    model_version: str | None = None
    toolchain: str | None = None
    mcusim_version: str | None = None
    cycle_model_version: str | None = None  # emulator runs only
    calibration: str | None = None  # calibration id the emulator applied, if any
    cycles_init: int | None = None
    status: int | None = None
    probe_uid: str | None = None  # board runs only
    extra: dict[str, Any] = field(default_factory=dict)
    layers: list[LayerCycles] = field(default_factory=list)
    id: int | None = None
    created_at: str | None = None

    @property
    def cycles_per_inference(self) -> float | None:
        if self.cycles_total is None or not self.n_samples:
            return None
        return self.cycles_total / self.n_samples

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["cycles_per_inference"] = self.cycles_per_inference
        return data


_RUN_COLUMNS = (
    "created_at", "source", "elf_sha256", "board", "model", "dtype", "clock_hz", "n_samples",
    "cycles_total", "outputs_crc32", "elf_path", "model_hash", "model_version", "toolchain",
    "mcusim_version", "cycle_model_version", "calibration", "cycles_init", "status", "probe_uid",
    "extra_json",
)


def default_db_path() -> Path:
    """`$MCUSIM_DB` if set, else `measurements.sqlite` in the user's data directory."""
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("mcusim")) / DB_FILENAME


def resolve_db_path(db: str | os.PathLike[str] | None, *, must_exist: bool = False) -> Path:
    """`db`, else `$MCUSIM_DB` or the user data dir; `must_exist`: a one-line error when absent
    (reading commands must not create an empty database)."""
    path = Path(db).expanduser() if db else default_db_path()
    if must_exist and not path.exists():
        raise McusimError(f"no measurement database at {path}",
                          hint="record runs with `mcusim run` and `mcusim flash` first, or pass --db")
    return path


class Store:
    """A connection to one measurement database. Use as a context manager or call `close()`."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = resolve_db_path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: no implicit transactions; we issue BEGIN/COMMIT ourselves.
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        except (OSError, sqlite3.Error) as err:
            raise McusimError(
                f"cannot open the measurement database {self.path}: {err}",
                hint=f"choose another file with --db or ${DB_ENV}",
            ) from None
        self._conn.row_factory = sqlite3.Row
        try:
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA busy_timeout = 30000")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except sqlite3.DatabaseError as err:
            self._conn.close()
            raise McusimError(
                f"{self.path} is not a usable mcusim measurement database: {err}",
                hint=f"choose another file with --db or ${DB_ENV}",
            ) from None

    # -- lifetime -------------------------------------------------------------------------
    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything inside is stored, or nothing is."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # -- schema ---------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise McusimError(
                f"measurement database {self.path} has schema v{version}, newer than this mcusim "
                f"understands (v{SCHEMA_VERSION})",
                hint="upgrade mcusim, or use another file with --db",
            )
        if version == SCHEMA_VERSION:
            return
        with self.transaction() as conn:
            # Re-read inside the write lock: another process may have migrated meanwhile.
            version = self.schema_version
            for step in range(version, SCHEMA_VERSION):
                for statement in _split_sql(MIGRATIONS[step]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {step + 1}")

    # -- writing --------------------------------------------------------------------------
    def record(self, run: RunRecord) -> int:
        """Store one run and its layers in one transaction; return its id."""
        with self.transaction() as conn:
            return self.insert(conn, run)

    def insert(self, conn: sqlite3.Connection, run: RunRecord) -> int:
        """Insert `run` using `conn`, inside a transaction the caller holds."""
        if run.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {run.source!r}")
        run.created_at = run.created_at or datetime.now(UTC).isoformat(timespec="seconds")
        values = [getattr(run, c) for c in _RUN_COLUMNS if c != "extra_json"]
        values.append(json.dumps(run.extra, sort_keys=True, default=str))
        placeholders = ", ".join("?" for _ in _RUN_COLUMNS)
        cur = conn.execute(
            f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({placeholders})", values
        )
        run.id = int(cur.lastrowid)
        conn.executemany(
            "INSERT INTO run_layers (run_id, layer_index, layer_name, cycles) VALUES (?, ?, ?, ?)",
            [(run.id, lay.index, lay.name, int(lay.cycles)) for lay in run.layers],
        )
        return run.id

    # -- reading --------------------------------------------------------------------------
    def get(self, run_id: int) -> RunRecord | None:
        rows = self._select("WHERE id = ?", (run_id,))
        return rows[0] if rows else None

    def runs(
        self,
        *,
        source: str | None = None,
        board: str | None = None,
        elf_sha256: str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Runs matching every given filter, newest first."""
        where, params = [], []
        for column, value in (("source", source), ("board", board), ("elf_sha256", elf_sha256)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        clause += " ORDER BY id DESC"
        if limit is not None:
            clause += f" LIMIT {int(limit)}"
        return self._select(clause, tuple(params))

    def count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def pairs(
        self, *, elf_sha256: str | None = None, board: str | None = None, limit: int | None = None
    ) -> list[tuple[RunRecord, RunRecord]]:
        """(emulated, measured) pairs: for each (ELF hash, board) measured on a board, its latest
        board run and its latest emulator run. Newest measurement first."""
        where = ["b.source = 'board'", "e.source = 'emulator'"]
        params: list[Any] = []
        if elf_sha256 is not None:
            where.append("b.elf_sha256 = ?")
            params.append(elf_sha256)
        if board is not None:
            where.append("b.board = ?")
            params.append(board)
        sql = f"""
            SELECT MAX(e.id) AS emu_id, MAX(b.id) AS board_id
            FROM runs b JOIN runs e ON e.elf_sha256 = b.elf_sha256 AND e.board = b.board
            WHERE {' AND '.join(where)}
            GROUP BY b.elf_sha256, b.board
            ORDER BY board_id DESC
        """
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        result = []
        for row in self._conn.execute(sql, params).fetchall():
            emu, meas = self.get(row["emu_id"]), self.get(row["board_id"])
            assert emu is not None and meas is not None
            result.append((emu, meas))
        return result

    def _select(self, clause: str, params: Sequence[Any]) -> list[RunRecord]:
        rows = self._conn.execute(f"SELECT * FROM runs {clause}", params).fetchall()
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        layers: dict[int, list[LayerCycles]] = {i: [] for i in ids}
        marks = ", ".join("?" for _ in ids)
        for lay in self._conn.execute(
            f"SELECT run_id, layer_index, layer_name, cycles FROM run_layers "
            f"WHERE run_id IN ({marks}) ORDER BY run_id, layer_index",
            ids,
        ):
            layers[lay["run_id"]].append(
                LayerCycles(lay["layer_index"], lay["layer_name"], lay["cycles"])
            )
        out = []
        for r in rows:
            kwargs = {c: r[c] for c in _RUN_COLUMNS if c != "extra_json"}
            out.append(
                RunRecord(
                    **kwargs,
                    extra=json.loads(r["extra_json"] or "{}"),
                    layers=layers[r["id"]],
                    id=r["id"],
                )
            )
        return out


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script (ours hold no ';' inside literals)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def record_run(
    report: dict[str, Any] | Any,
    *,
    source: str,
    elf: str | os.PathLike[str] | None = None,
    board: str | None = None,
    db: str | os.PathLike[str] | None = None,
    probe_uid: str | None = None,
) -> RunRecord:
    """Store one `mcusim run` / `mcusim flash` report (its JSON dict or an object with
    `to_json()`); return the stored record. See `mcusim.measure.record_from_report`."""
    from mcusim.measure import record_from_report

    data = report.to_json() if hasattr(report, "to_json") else report
    data = json.loads(data) if isinstance(data, str) else data
    rec = record_from_report(data, source=source, elf=elf, board=board, probe_uid=probe_uid)
    with Store(db) as store:
        store.record(rec)
    return rec


def store_emulator_run(report: Any, firmware: str | os.PathLike[str],
                       db: str | os.PathLike[str] | None = None) -> int | None:
    """Record a finished `mcusim run` (harness firmware) in the store; return the run id.

    HEX/BIN runs are recorded when the ELF they came from sits beside them (`<stem>.elf`).
    A store failure never fails the run: it is reported on stderr as one line.
    """
    import sys

    fw = Path(firmware)
    elf = fw if fw.suffix.lower() not in (".hex", ".bin", ".ihex") else fw.with_suffix(".elf")
    if not elf.is_file():
        return None
    try:
        rec = record_run(report, source="emulator", elf=elf, db=db)
    except McusimError as err:
        sys.stderr.write(f"warning: run not recorded: {err}\n")
        return None
    return rec.id
