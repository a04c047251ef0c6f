"""The SQLite measurement store: round trip, pairing, migrations, and crash safety."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from mcusim.errors import McusimError
from mcusim.store import SCHEMA_VERSION, LayerCycles, RunRecord, Store, default_db_path


def _run(source: str = "emulator", sha: str = "a" * 64, board: str = "nucleo-u545re-q", **kw):
    base = {
        "source": source, "elf_sha256": sha, "board": board, "model": "mlp", "dtype": "float32",
        "clock_hz": 160_000_000, "n_samples": 2, "cycles_total": 2000, "outputs_crc32": 0xDEADBEEF,
        "layers": [LayerCycles(0, "fc1", 1200), LayerCycles(1, "fc2", 800)],
    }
    base.update(kw)
    return RunRecord(**base)


def test_round_trip(tmp_path):
    db = tmp_path / "m.sqlite"
    with Store(db) as st:
        rid = st.record(_run(extra={"instructions": 1234}, toolchain="gcc 12.2"))
    with Store(db) as st:
        got = st.get(rid)
    assert got is not None
    assert got.id == rid and got.source == "emulator" and got.board == "nucleo-u545re-q"
    assert got.cycles_total == 2000 and got.cycles_per_inference == 1000.0
    assert got.outputs_crc32 == 0xDEADBEEF
    assert got.extra == {"instructions": 1234} and got.toolchain == "gcc 12.2"
    assert [(lay.index, lay.name, lay.cycles) for lay in got.layers] == [
        (0, "fc1", 1200), (1, "fc2", 800)
    ]
    assert got.created_at and got.created_at.endswith("+00:00")


def test_rejects_unknown_source(tmp_path):
    with Store(tmp_path / "m.sqlite") as st, pytest.raises(ValueError):
        st.record(_run(source="qemu"))
    with Store(tmp_path / "m.sqlite") as st:
        assert st.count() == 0


def test_pairs_latest_per_elf_and_board(tmp_path):
    with Store(tmp_path / "m.sqlite") as st:
        st.record(_run("emulator", "a" * 64, cycles_total=100))
        e2 = st.record(_run("emulator", "a" * 64, cycles_total=110))
        b1 = st.record(_run("board", "a" * 64, cycles_total=130))
        st.record(_run("emulator", "b" * 64))  # never measured: no pair
        st.record(_run("board", "a" * 64, board="nucleo-h723zg"))  # no emulated run there
        e3 = st.record(_run("emulator", "c" * 64))
        b3 = st.record(_run("board", "c" * 64))
        pairs = st.pairs()
        assert [(e.id, b.id) for e, b in pairs] == [(e3, b3), (e2, b1)]
        assert [(e.id, b.id) for e, b in st.pairs(limit=1)] == [(e3, b3)]
        assert [(e.id, b.id) for e, b in st.pairs(elf_sha256="a" * 64)] == [(e2, b1)]
        assert st.pairs(board="nucleo-g474re") == []


def test_failed_transaction_stores_nothing(tmp_path):
    with Store(tmp_path / "m.sqlite") as st:
        st.record(_run())
        with pytest.raises(RuntimeError), st.transaction() as conn:
            st.insert(conn, _run())
            raise RuntimeError("interrupted")
        assert st.count() == 1
        assert st._conn.execute("SELECT COUNT(*) FROM run_layers").fetchone()[0] == 2


# A hand-written copy of the first released layout (v1), with one run in it.
V1_SQL = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, created_at TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('emulator', 'board')),
    elf_sha256 TEXT NOT NULL, board TEXT NOT NULL, model TEXT, dtype TEXT, clock_hz INTEGER,
    n_samples INTEGER, cycles_total INTEGER, outputs_crc32 INTEGER);
CREATE TABLE layer_cycles (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, layer_index INTEGER NOT NULL,
    layer_name TEXT, cycles INTEGER NOT NULL, PRIMARY KEY (run_id, layer_index));
INSERT INTO runs VALUES (7, '2025-06-01T10:00:00+00:00', 'board', 'f00d', 'nucleo-u545re-q',
    'cnn', 'int8', 160000000, 1, 4242, 99);
INSERT INTO layer_cycles VALUES (7, 0, 'conv', 4000), (7, 1, 'fc', 242);
PRAGMA user_version = 1;
"""


def test_opens_and_migrates_a_v1_database(tmp_path):
    db = tmp_path / "old.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(V1_SQL)
    conn.close()
    with Store(db) as st:
        assert st.schema_version == SCHEMA_VERSION > 1
        old = st.get(7)
        assert old is not None and old.cycles_total == 4242 and old.source == "board"
        assert old.toolchain is None and old.extra == {}
        assert [(lay.name, lay.cycles) for lay in old.layers] == [("conv", 4000), ("fc", 242)]
        new = st.record(_run(sha="f00d", calibration="cal-1"))
        assert [(e.id, b.id) for e, b in st.pairs()] == [(new, 7)]
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_refuses_a_newer_database(tmp_path):
    db = tmp_path / "future.sqlite"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(McusimError, match="newer than this mcusim"):
        Store(db)


def test_not_a_database(tmp_path):
    bad = tmp_path / "junk.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(McusimError, match="not a usable mcusim measurement database"):
        Store(bad)


def test_default_path_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("MCUSIM_DB", str(tmp_path / "env.sqlite"))
    assert default_db_path() == tmp_path / "env.sqlite"
    monkeypatch.delenv("MCUSIM_DB")
    assert default_db_path().name == "measurements.sqlite"


_WRITER = textwrap.dedent(
    """
    import sys, time
    from mcusim.store import LayerCycles, RunRecord, Store

    def run(i):
        return RunRecord(source="emulator", elf_sha256="%064x" % i, board="nucleo-u545re-q",
                         cycles_total=1000 + i, n_samples=1,
                         layers=[LayerCycles(j, "l%d" % j, 10 * j + i) for j in range(50)])

    st = Store(sys.argv[1])
    mode = sys.argv[2]
    if mode == "hold":
        for i in range(5):
            st.record(run(i))
        with st.transaction() as conn:
            st.insert(conn, run(100))
            print("IN_TRANSACTION", flush=True)
            time.sleep(60)
    else:
        i = 0
        while True:
            rid = st.record(run(i))
            print(rid, flush=True)
            i += 1
    """
)


def _spawn(tmp_path, db, mode):
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.Popen(
        [sys.executable, str(script), str(db), mode], stdout=subprocess.PIPE, text=True, env=env
    )


def _check_readable(db, expected_ids):
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()
    with Store(db) as st:
        ids = {r.id for r in st.runs()}
        assert set(expected_ids) <= ids
        for rid in expected_ids:
            rec = st.get(rid)
            assert rec is not None and len(rec.layers) == 50
    return ids


def test_sigkill_inside_an_open_transaction_keeps_earlier_runs(tmp_path):
    db = tmp_path / "m.sqlite"
    proc = _spawn(tmp_path, db, "hold")
    try:
        line = proc.stdout.readline().strip()
        assert line == "IN_TRANSACTION"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    ids = _check_readable(db, [1, 2, 3, 4, 5])
    assert ids == {1, 2, 3, 4, 5}  # the run in the killed transaction is absent, not half there


def test_sigkill_during_a_stream_of_writes_keeps_every_committed_run(tmp_path):
    db = tmp_path / "m.sqlite"
    proc = _spawn(tmp_path, db, "loop")
    committed = []
    try:
        for _ in range(40):
            committed.append(int(proc.stdout.readline()))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    ids = _check_readable(db, committed)
    # A run may have committed after its id was last read, but nothing is half-written.
    with Store(db) as st:
        assert all(len(r.layers) == 50 for r in st.runs())
        assert len(ids) >= 40
