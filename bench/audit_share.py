"""The audit log's own work inside an audited import of N cases, timed in the same process and run.

    .venv/bin/python -m bench.audit_share 10000

A busy machine slows the import and the log alike, so the share stays readable where a with/without
comparison of two separate runs does not (see RESULTS.md, "Audit log").
"""
import sys
import tempfile
import time
from pathlib import Path

from bench import importing
from registry.ingest import audit as A

def main() -> None:
    spent = {"synced": 0.0, "flush": 0.0}
    for name in spent:
        real = getattr(A.AuditLog, name)
        def timed(self, *a, _real=real, _name=name, **k):
            t = time.perf_counter()
            try:
                return _real(self, *a, **k)
            finally:
                spent[_name] += time.perf_counter() - t
        setattr(A.AuditLog, name, timed)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    scratch = Path(tempfile.mkdtemp(prefix="dress-audit-share-")) / "own.db"
    raws = importing.synth_raws(n, 0)
    for i in range(2):
        for k in spent: spent[k] = 0.0
        e = importing.fresh_sqlite(str(scratch))
        t = importing.import_raws(e, raws, 20000, audit=True)
        with e.connect() as c:
            entries = c.exec_driver_sql("select count(*) from audit_log").scalar()
        e.dispose()
        own = sum(spent.values())
        print(f"run {i+1}: import total {t.total_s:.2f} s, audit log's own work {own:.3f} s "
              f"(synced {spent['synced']:.3f} s, flush {spent['flush']:.3f} s) = {100*own/(t.total_s-own):.1f}% "
              f"of the import without it; {entries} entries")


if __name__ == "__main__":
    main()
