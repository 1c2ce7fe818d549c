"""Advice shown for every parcel: beware of delivery scams, and who to call at this stage."""

from __future__ import annotations

from emstui.core.model import Stage, Status
from emstui.present.advice.base import Advice, Level, ParcelFacts, issuing_country, still_at_origin


def security_advice(facts: ParcelFacts) -> Advice:
    body = ("Use official channels only. Posts, carriers and customs never ask for payment, "
            "customs fees or card details by SMS, e-mail link or chat. Type the post's web "
            "address yourself instead of following links. 'Your parcel is held, pay X' messages "
            "are the classic scam.")
    trigger = "shown for every parcel"
    if facts.status in (Status.IN_CUSTOMS, Status.DELIVERY_FAILED, Status.AVAILABLE_FOR_PICKUP):
        body += (" Real duties or redelivery fees are shown on the destination post's own site or "
                 "paid at the door or counter.")
        trigger = f"status '{facts.status.label}': scam messages imitate exactly this step"
    return Advice(Level.TIP, "Beware of delivery scams", body, trigger)


def hotline_advice(facts: ParcelFacts) -> Advice:
    cc = facts.country_code
    if cc == "CN" and still_at_origin(facts) and not facts.status.is_final:
        return Advice(
            Level.INFO, "Who to call",
            "No departure from China has been scanned yet. The sender can call China EMS on "
            "11183 (for callers in mainland China) with the number; from abroad, ask the sender "
            "to do it.",
            "issued in China (CN), no departure from China scanned: not yet left China")
    if cc == "CN" and facts.stage is Stage.DEPARTED and not facts.status.is_final:
        return Advice(
            Level.INFO, "Who to call",
            "It has been dispatched from China and is between countries. The destination "
            "country's post takes over when it arrives; until then the sender can ask China EMS "
            "(11183, for callers in mainland China).",
            "issued in China (CN), dispatched from China, not yet arrived")
    if cc == "CN":
        return Advice(
            Level.INFO, "Who to call",
            "It has left China, so the destination country's post now holds it: contact them "
            "with the number. China EMS (11183, for callers in mainland China) only answers for "
            "the China leg, through the sender.",
            f"issued in China (CN), stage '{facts.stage.label}': left China")
    if cc:
        return Advice(
            Level.INFO, "Who to call",
            f"The sender deals with the post of {issuing_country(facts)}; you deal with your "
            f"destination country's post. China EMS (11183, for callers in mainland China) "
            f"handles it only if it is coming to China.",
            f"issued in {issuing_country(facts)}, not China")
    return Advice(
        Level.INFO, "Who to call",
        "Contact the carrier that issued the number, or your destination country's post. China "
        "EMS (11183) is for callers in mainland China.",
        "not a UPU S10 number: issuing country unknown")
