"""What `--exclude-reserved` and `--exclude-paywalled` leave out of an export, and the
manifest's count of it by reason. The record says what the site declared
(`crawler.rights.declared`) and what the paywall check found (`crawler.extract.paywall`);
leaving records out is the user's choice, made with these flags."""

from __future__ import annotations

from collections import Counter

from crawler.rights.declared import RESERVATION_REASONS, reservation_reasons

PAYWALLED = "paywalled"


class Exclusions:
    def __init__(self, reserved: bool = False, paywalled: bool = False) -> None:
        self.reserved, self.paywalled = reserved, paywalled
        self.records = 0
        self.by_reason: Counter[str] = Counter()

    def __bool__(self) -> bool:
        return self.reserved or self.paywalled

    def reasons(self, record: dict) -> list[str]:
        """Why `record` is left out ([]: it is kept); counted."""
        reasons = reservation_reasons(record.get("rights")) if self.reserved else []
        if self.paywalled and record.get("access") == PAYWALLED:
            reasons.append(PAYWALLED)
        if reasons:
            self.records += 1
            self.by_reason.update(reasons)
        return reasons

    def describe(self) -> dict:
        """The manifest's `excluded`: records left out, and per reason how many had it (a
        record can have several)."""
        names = (RESERVATION_REASONS if self.reserved else ()) + (
            (PAYWALLED,) if self.paywalled else ()
        )
        return {
            "exclude_reserved": self.reserved,
            "exclude_paywalled": self.paywalled,
            "records": self.records,
            "by_reason": {name: self.by_reason.get(name, 0) for name in names},
        }
