"""Where to check a parcel officially: the channels to use yourself, as text to type.

The seed of emstui is the official way to track an EMS item: type the official website
yourself, use the official app or WeChat account, call the hotline, never follow links in
messages. These are shown as plain text and never opened for the user.

Sources, and how far they are checked (research notes, as in /work/shared/specs):
- China Post EMS: the website www.ems.com.cn and hotline 11183 (for callers in mainland China)
  are in specs/sources.md section 7; the EMS app and the WeChat account "EMS China Express"
  ("My EMS" -> "Parcel Tracking") are from issue 12, as China Post EMS publishes them on
  www.ems.com.cn. UNCONFIRMED from this machine (no internet).
- The UPU EMS tracker: www.ems.post, the EMS Cooperative's official page (specs/ems-cooperative.md).
- Destination operators: a country's designated postal operator is the one the UPU points
  people to for their postal shipments (https://www.upu.int/en/contact-us/postal-shipments,
  cited in specs/sources.md); each site is the operator's own public website, where tracking
  is on the first page. Compiled from public knowledge and NOT checked against the live sites
  from this machine (no internet; only www.pakpost.gov.pk was seen in a stored copy of its
  FAQ page): each entry keeps its source so a maintainer can re-check it.
"""

from __future__ import annotations

from dataclasses import dataclass

UPU_OPERATORS_PAGE = "https://www.upu.int/en/contact-us/postal-shipments"
CHINA_EMS_SITE = "www.ems.com.cn"
CHINA_EMS_HOTLINE = "11183"
UPU_EMS_TRACKER = "www.ems.post"


@dataclass(frozen=True, slots=True)
class Operator:
    """A country's designated postal operator and where it tracks items."""

    country: str  # ISO 3166 alpha-2
    name: str
    site: str  # to type, without a scheme: "www.royalmail.com"
    source: str  # where this entry comes from


def _op(country: str, name: str, site: str) -> Operator:
    return Operator(country, name, site, f"https://{site}; {UPU_OPERATORS_PAGE}")


# The common destinations of international EMS and letter-post parcels, by country code.
OPERATORS: dict[str, Operator] = {op.country: op for op in (
    _op("US", "United States Postal Service (USPS)", "www.usps.com"),
    _op("GB", "Royal Mail", "www.royalmail.com"),
    _op("DE", "Deutsche Post / DHL", "www.dhl.de"),
    _op("FR", "La Poste (Colissimo)", "www.laposte.fr"),
    _op("IT", "Poste Italiane", "www.poste.it"),
    _op("ES", "Correos", "www.correos.es"),
    _op("NL", "PostNL", "www.postnl.nl"),
    _op("BE", "bpost", "www.bpost.be"),
    _op("LU", "POST Luxembourg", "www.post.lu"),
    _op("CH", "Swiss Post", "www.post.ch"),
    _op("AT", "Österreichische Post", "www.post.at"),
    _op("PL", "Poczta Polska", "www.pocztapolska.pl"),
    _op("CZ", "Česká pošta", "www.ceskaposta.cz"),
    _op("SK", "Slovenská pošta", "www.posta.sk"),
    _op("HU", "Magyar Posta", "www.posta.hu"),
    _op("SI", "Pošta Slovenije", "www.posta.si"),
    _op("HR", "Hrvatska pošta", "www.posta.hr"),
    _op("RO", "Poșta Română", "www.posta-romana.ro"),
    _op("BG", "Bulgarian Posts", "www.bgpost.bg"),
    _op("GR", "ELTA Hellenic Post", "www.elta.gr"),
    _op("PT", "CTT Correios de Portugal", "www.ctt.pt"),
    _op("IE", "An Post", "www.anpost.com"),
    _op("SE", "PostNord Sverige", "www.postnord.se"),
    _op("DK", "PostNord Danmark", "www.postnord.dk"),
    _op("NO", "Posten Norge", "www.posten.no"),
    _op("FI", "Posti", "www.posti.fi"),
    _op("EE", "Omniva (Eesti Post)", "www.omniva.ee"),
    _op("LV", "Latvijas Pasts", "www.pasts.lv"),
    _op("LT", "Lietuvos paštas", "www.post.lt"),
    _op("UA", "Ukrposhta", "www.ukrposhta.ua"),
    _op("RU", "Russian Post (Pochta Rossii)", "www.pochta.ru"),
    _op("KZ", "Kazpost", "www.post.kz"),
    _op("TR", "PTT (Turkish Post)", "www.ptt.gov.tr"),
    _op("IL", "Israel Post", "www.israelpost.co.il"),
    _op("AE", "Emirates Post", "www.emiratespost.ae"),
    _op("SA", "Saudi Post (SPL)", "www.splonline.com.sa"),
    _op("IN", "India Post", "www.indiapost.gov.in"),
    _op("PK", "Pakistan Post", "www.pakpost.gov.pk"),
    _op("CN", "China Post", "www.ems.com.cn"),
    _op("HK", "Hongkong Post", "www.hongkongpost.hk"),
    _op("MO", "Macao Post", "www.macaupost.gov.mo"),
    _op("TW", "Chunghwa Post", "www.post.gov.tw"),
    _op("JP", "Japan Post", "www.post.japanpost.jp"),
    _op("KR", "Korea Post", "www.epost.go.kr"),
    _op("SG", "Singapore Post (SingPost)", "www.singpost.com"),
    _op("MY", "Pos Malaysia", "www.pos.com.my"),
    _op("TH", "Thailand Post", "www.thailandpost.co.th"),
    _op("VN", "Vietnam Post (VNPost)", "www.vnpost.vn"),
    _op("PH", "PHLPost", "www.phlpost.gov.ph"),
    _op("ID", "Pos Indonesia", "www.posindonesia.co.id"),
    _op("AU", "Australia Post", "auspost.com.au"),
    _op("NZ", "NZ Post", "www.nzpost.co.nz"),
    _op("CA", "Canada Post", "www.canadapost-postescanada.ca"),
    _op("MX", "Correos de México", "www.correosdemexico.gob.mx"),
    _op("BR", "Correios", "www.correios.com.br"),
    _op("AR", "Correo Argentino", "www.correoargentino.com.ar"),
    _op("CL", "Correos de Chile", "www.correos.cl"),
    _op("CO", "4-72 Servicios Postales Nacionales", "www.4-72.com.co"),
    _op("PE", "Serpost", "www.serpost.com.pe"),
    _op("ZA", "South African Post Office", "www.postoffice.co.za"),
)}


@dataclass(frozen=True, slots=True)
class Channel:
    """One official way to check the parcel: what it is, and what to type, open or call."""

    what: str  # "China Post EMS website"
    how: str  # "www.ems.com.cn (type it yourself)"


def destination_operator(country: str | None) -> Operator | None:
    return OPERATORS.get((country or "").upper())


def channels(*, origin: str, is_ems: bool, destination: str | None) -> list[Channel]:
    """The official channels for a parcel issued in `origin` (S10 country code, "" if none),
    going to `destination` (a source's country code, or None)."""
    found: list[Channel] = []
    if origin == "CN":
        found += [
            Channel("China Post EMS website", f"{CHINA_EMS_SITE} (type it yourself)"),
            Channel("China Post EMS app",
                    "the official EMS app from your phone's app store (publisher: China Post)"),
            Channel("WeChat", "account \"EMS China Express\" → \"My EMS\" → \"Parcel Tracking\""),
            Channel("Hotline", f"{CHINA_EMS_HOTLINE} (for callers in mainland China)"),
        ]
    if is_ems:
        found.append(Channel("UPU EMS tracker", f"{UPU_EMS_TRACKER} → Track (any EMS item)"))
    operator = destination_operator(destination)
    if operator is not None and not (origin == "CN" and operator.country == "CN"):
        found.append(Channel(f"Destination post ({operator.country})",
                             f"{operator.name}: {operator.site}"))
    return found


__all__ = ["CHINA_EMS_HOTLINE", "CHINA_EMS_SITE", "OPERATORS", "UPU_EMS_TRACKER", "Channel",
           "Operator", "channels", "destination_operator"]
