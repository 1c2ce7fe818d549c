"""One check, shared by both providers' tests: the simulator's hostile text arrives inert."""

from __future__ import annotations

from emstui.core.model import ShipmentFacts, Tracking


def assert_hostile_text_inert(tracking: Tracking | None) -> list[str]:
    """Controls, C1 and bidi overrides gone, sizes bounded, markup kept as literal text.

    Returns every text field of every event, for checks particular to a provider.
    """
    assert tracking is not None
    texts = [t for e in tracking.events for t in (e.time_raw, e.description, e.location)]
    for text in texts:
        assert not any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in text), text
        assert "\u202e" not in text
        assert len(text) <= 500
    joined = "\n".join(texts)
    assert "[bold]x[/] GUANGZHOU" in joined
    assert "[@click=app.quit]Click me[/]" in joined
    assert "RED link" in joined
    assert "EDISREVER </td></tr><script>alert(1)</script>&amp;" in joined
    assert "NULDELEND" in joined
    return texts


def assert_inert(text: str, *, limit: int) -> None:
    """One text: no controls, C1 or bidi overrides, at most `limit` characters."""
    assert not any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in text), text
    assert "\u202e" not in text and "\x1b" not in text
    assert len(text) <= limit, len(text)


def facts_texts(facts: ShipmentFacts | None) -> list[str]:
    """Every text field of a provider's shipment facts that is set."""
    assert facts is not None
    values = (facts.eta_source, facts.origin_country, facts.destination_country,
              facts.local_number, facts.local_provider, facts.sub_status_text,
              facts.sync_status, facts.sync_carrier)
    return [v for v in values if v is not None]
