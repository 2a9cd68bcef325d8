"""Writes a canonical-format consent export with N rows (N/10 subjects), big enough for the
import progress bar to move visibly in the end-to-end test. Deterministic (fixed seed).

    python3 make_large_export.py OUT.csv N [PREFIX]

PREFIX (default `bulk`) starts every e-mail address, so two exports can differ.
"""

import random
import sys
from datetime import datetime, timedelta, timezone

PURPOSES = ["email-marketing", "sms-marketing", "advertising", "analytics"]
PARTNERS = ["Meta Platforms Ireland Limited", "Google Ireland Limited", "DataCo List Services Ltd"]


def main() -> None:
    out, rows = sys.argv[1], int(sys.argv[2])
    prefix = sys.argv[3] if len(sys.argv) > 3 else "bulk"
    rng = random.Random(20261130)
    base = datetime(2022, 1, 1, tzinfo=timezone.utc)
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("subject,kind,occurred_at,purpose,recipients,channel,method,notice_version\n")
        for s in range(max(rows // 10, 1)):
            email = f"{prefix}{s:06d}@example.com"
            purpose = PURPOSES[s % len(PURPOSES)]
            t = base + timedelta(seconds=rng.randrange(31_536_000))
            for i in range(10):
                kind, recipients, method = "processing", "", ""
                if i == 0:
                    kind, method = "consent.given", "explicit-opt-in"
                elif i == 6:
                    kind, recipients = "disclosure", rng.choice(PARTNERS)
                elif i == 8 and s % 5 == 0:
                    kind = "consent.withdrawn"
                t += timedelta(seconds=3600 + rng.randrange(2_592_000))
                when = t.strftime("%Y-%m-%dT%H:%M:%SZ")
                f.write(f"{email},{kind},{when},{purpose},{recipients},email,{method},PN-2021.2\n")


if __name__ == "__main__":
    main()
