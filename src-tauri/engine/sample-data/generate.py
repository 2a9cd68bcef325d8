#!/usr/bin/env python3
"""Writes ConsentTrail's demo export set (fictional, see README.md) into this folder.

Deterministic: re-running it gives the same bytes. Each file imitates one system's real export
format (quirks included); the people, the organisation and every value are invented.
Run: python3 src-tauri/engine/sample-data/generate.py
"""
import json
import os
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))

# The organisation is fictional; every address uses the reserved .example domains.
ORG = "Alder & Finch Outdoor Ltd (fictional)"

# People with clean records: subscribed by double opt-in in Mailchimp, mailed monthly.
CLEAN = [
    ("Amelia", "Hughes", "GB", "Europe/London"), ("Oliver", "Bennett", "GB", "Europe/London"),
    ("Grace", "Walsh", "IE", "Europe/Dublin"), ("Liam", "Byrne", "IE", "Europe/Dublin"),
    ("Sophie", "Dubois", "FR", "Europe/Paris"), ("Théo", "Girard", "FR", "Europe/Paris"),
    ("Élodie", "Moreau", "FR", "Europe/Paris"), ("Jonas", "Weber", "DE", "Europe/Berlin"),
    ("Lena", "Schäfer", "DE", "Europe/Berlin"), ("Maximilian", "Groß", "DE", "Europe/Berlin"),
    ("Giulia", "Ricci", "IT", "Europe/Rome"), ("Matteo", "Esposito", "IT", "Europe/Rome"),
    ("Inés", "Navarro", "ES", "Europe/Madrid"), ("Pablo", "Ortega", "ES", "Europe/Madrid"),
    ("Zofia", "Wójcik", "PL", "Europe/Warsaw"), ("Jakub", "Kamiński", "PL", "Europe/Warsaw"),
    ("Eva", "Novák", "CZ", "Europe/Prague"), ("Bence", "Szabó", "HU", "Europe/Budapest"),
    ("Sanna", "Virtanen", "FI", "Europe/Helsinki"), ("Erik", "Andersson", "SE", "Europe/Stockholm"),
    ("Ingrid", "Haugen", "NO", "Europe/Oslo"), ("Mads", "Kjær", "DK", "Europe/Copenhagen"),
    ("Daan", "de Vries", "NL", "Europe/Amsterdam"), ("Margarida", "Sousa", "PT", "Europe/Lisbon"),
    ("Αλέξανδρος", "Νικολάου", "GR", "Europe/Athens"), ("Анна", "Кузнецова", "BG", "Europe/Sofia"),
    ("Ayşe", "Yılmaz", "TR", "Europe/Istanbul"), ("さくら", "伊藤", "JP", "Asia/Tokyo"),
    ("민준", "김", "KR", "Asia/Seoul"), ("Ravi", "Iyer", "IN", "Asia/Kolkata"),
]
# Latin spellings for the e-mail addresses of the names above written in other scripts.
LATIN = {"Αλέξανδρος": ("alexandros", "nikolaou"), "Анна": ("anna", "kuznetsova"),
         "さくら": ("sakura", "ito"), "민준": ("minjun", "kim")}
SPECIAL = {"ß": "ss", "ø": "o", "ł": "l", "ı": "i", "æ": "ae", "œ": "oe"}


def ascii_of(text):
    text = "".join(SPECIAL.get(c, c) for c in text)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def email_of(first, last):
    f, l = LATIN.get(first, (first, last))
    local = ascii_of(f"{f}.{l}".lower().replace(" ", ""))
    return f"{local}@example.org"


CLEAN_EMAILS = [email_of(f, l) for f, l, _, _ in CLEAN]

MC_BASE = ["Email Address", "First Name", "Last Name", "Address", "Phone Number", "Interests",
           "Interests", "EMAIL_TYPE", "MEMBER_RATING", "OPTIN_TIME", "OPTIN_IP", "CONFIRM_TIME",
           "CONFIRM_IP", "LATITUDE", "LONGITUDE", "GMTOFF", "DSTOFF", "TIMEZONE", "CC", "REGION",
           "LAST_CHANGED", "LEID", "EUID", "NOTES"]


def csv_cell(v):
    v = str(v)
    return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n') else v


def write(name, text, bom=False):
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(("\ufeff" if bom else "") + text)


def write_csv(name, header, rows, bom=False, quote_all=False, eol="\n"):
    def line(cells):
        if quote_all:
            return ",".join('"' + str(c).replace('"', '""') + '"' for c in cells)
        return ",".join(csv_cell(c) for c in cells)
    write(name, eol.join([line(header)] + [line(r) for r in rows]) + eol, bom)


def mc_row(email, first, last, optin, confirm, cc, tz, changed, n, interests=("Hiking", ""), notes="",
           rating=3, ip="198.51.100.%d"):
    return [email, first, last, "", "", interests[0], interests[1], "html", rating, optin,
            (ip % (n % 250 + 1)) if optin else "", confirm, (ip % (n % 250 + 1)) if confirm else "",
            "", "", "", "", tz, cc, "", changed, 420000000 + n, "d4c3b2a%03d" % n, notes]


def mailchimp():
    subscribed = []
    for n, (first, last, cc, tz) in enumerate(CLEAN):
        # Opt-ins spread over 2023; a double opt-in confirmed a few minutes later.
        month, day = 1 + n % 12, 1 + (n * 7) % 27
        optin = f"2023-{month:02d}-{day:02d} {8 + n % 10:02d}:{(n * 13) % 60:02d}:00"
        confirm = f"2023-{month:02d}-{day:02d} {8 + n % 10:02d}:{(n * 13) % 60 + (n % 5) if (n * 13) % 60 < 54 else 59:02d}:30"
        email = CLEAN_EMAILS[n]
        if n % 9 == 4:  # Mailchimp keeps the address as typed: mixed case, joined case-insensitively.
            email = email[0].upper() + email[1:]
        interests = [("Hiking", ""), ("", "Camping"), ("Hiking", "Camping")][n % 3]
        subscribed.append(mc_row(email, first, last, optin, confirm, cc, tz, confirm, n, interests))
    planted = [
        # Unnamed recipient: a normal newsletter opt-in, later shared with a data broker.
        mc_row("oskar.lindgren@example.se", "Oskar", "Lindgren", "2023-03-10 18:30:00",
               "2023-03-10 18:31:12", "SE", "Europe/Stockholm", "2023-03-10 18:31:12", 101),
        # Stale consent: opted in in 2021, never renewed, still mailed in 2024.
        mc_row("fiona.macleod@example.co.uk", "Fiona", "MacLeod", "2021-09-01 10:00:00",
               "2021-09-01 10:05:00", "GB", "Europe/London", "2021-09-01 10:05:00", 102),
        # Conflicting systems: still subscribed here, opted out in Salesforce.
        mc_row("kostas.pappas@example.gr", "Kostas", "Pappas", "2023-06-01 09:00:00",
               "2023-06-01 09:02:00", "GR", "Europe/Athens", "2023-06-01 09:02:00", 103),
        # A child: subscribed at 12 (her date of birth is in OneTrust).
        mc_row("lea.hoffmann@example.de", "Lea", "Hoffmann", "2024-03-01 15:05:00",
               "2024-03-01 15:06:40", "DE", "Europe/Berlin", "2024-03-01 15:06:40", 104),
        # Added through the API from a webinar list: no OPTIN_TIME, only CONFIRM_TIME.
        mc_row("tunde.adeyemi@example.ng", "Tunde", "Adeyemi", "", "2024-02-01 12:00:00", "NG", "",
               "2024-02-01 12:00:00", 105, ("", ""), "Imported: Trail Safety webinar attendees"),
    ]
    # Mailchimp quotes each tag inside the TAGS cell.
    tags = ['"Spring 2023"' if n % 4 == 1 else "" for n in range(len(subscribed))] + [""] * len(planted)
    rows = [r + [t] for r, t in zip(subscribed + planted, tags)]
    write_csv("mailchimp/subscribed_members_export_a1f9c3e7d2.csv", MC_BASE + ["TAGS"], rows)
    unsub = [
        # Processing after withdrawal: unsubscribed, then mailed again a month later.
        mc_row("daniel.cohen@example.il", "דניאל", "כהן", "2023-04-02 20:00:00", "2023-04-02 20:01:00",
               "IL", "Asia/Jerusalem", "2024-04-01 07:30:00", 201)
        + ["2024-04-01 07:30:00", "Spring Gear Sale 2024", "e5a1b2c301", "NORMAL", ""],
        mc_row("chloe.lambert@example.be", "Chloé", "Lambert", "2023-05-05 10:00:00", "2023-05-05 10:02:00",
               "BE", "Europe/Brussels", "2024-05-10 08:00:00", 202)
        + ["2024-05-10 08:00:00", "May Trail Guide", "e5a1b2c302", "OTHER", "Too many e-mails"],
    ]
    write_csv("mailchimp/unsubscribed_members_export_a1f9c3e7d2.csv",
              MC_BASE + ["UNSUB_TIME", "UNSUB_CAMPAIGN_TITLE", "UNSUB_CAMPAIGN_ID", "UNSUB_REASON",
                         "UNSUB_REASON_OTHER", "TAGS"], [r + [""] for r in unsub])


def salesforce():
    people = [  # Id, first, last, birth date, e-mail
        ("0PK7Q000001BcA1UAK", "Κώστας", "Παππάς", "1985-02-17", "Kostas.Pappas@example.gr"),
        ("0PK7Q000001BcA2UAK", "芳", "王", "", "wang.fang@example.cn"),
        ("0PK7Q000001BcA3UAK", "Sofía", "Romero", "1996-07-08", "sofia.romero@example.es"),
        ("0PK7Q000001BcA4UAK", "अर्जुन", "मेहता", "", "arjun.mehta@example.in"),
        ("0PK7Q000001BcA5UAK", "Aisha", "Bello", "1991-12-01", "aisha.bello@example.ng"),
    ]
    write_csv("salesforce/Individual.csv", ["Id", "FirstName", "LastName", "BirthDate",
              "HasOptedOutProcessing", "HasOptedOutTracking"],
              [[i, f, l, b, "false", "false"] for i, f, l, b, _ in people], bom=True, quote_all=True, eol="\r\n")
    write_csv("salesforce/ContactPointEmail.csv", ["Id", "ParentId", "EmailAddress", "IsPrimary"],
              [["9lE7Q00000020%02dAQA" % n, i, e, "true"] for n, (i, _, _, _, e) in enumerate(people)],
              bom=True, quote_all=True, eol="\r\n")
    write_csv("salesforce/DataUsePurpose.csv", ["ID", "NAME", "LEGALBASISID", "PURPOSEGROUPID", "CANDATASUBJECTOPTOUT"],
              [["0ZW7Q0000005DnAWAU", "Marketing Emails", "0ZY7Q0000002bCdWAI", "", "true"],
               ["0ZW7Q0000005DnBWAU", "Marketing SMS", "0ZY7Q0000002bCdWAI", "", "true"]],
              bom=True, quote_all=True, eol="\r\n")
    E, S = "0ZW7Q0000005DnAWAU", "0ZW7Q0000005DnBWAU"
    consents = [
        ("Kostas – Marketing Emails", people[0][0], "Email", "2023-06-01T09:00:00.000Z", "Web Signup Form", E,
         "2023-06-01T09:02:00.000Z", "OptIn"),
        ("Wang – Marketing Emails", people[1][0], "Email", "2024-01-15T09:00:00.000Z",
         "Purchased List – TrailLeads 2023", E, "", "OptIn"),
        ("Sofía – Marketing Emails", people[2][0], "Email", "2024-02-20T17:40:00.000Z",
         "Checkout – pre-ticked box", E, "", "OptIn"),
        ("Arjun – Marketing SMS", people[3][0], "Phone", "2024-03-05T11:00:00.000Z", "Web Signup Form", S, "",
         "OptIn"),
        ("Aisha – Marketing SMS", people[4][0], "Phone", "2024-03-06T14:00:00.000Z", "Web Signup Form", S,
         "2024-03-06T14:03:00.000Z", "OptIn"),
        ("Kostas – Marketing Emails", people[0][0], "Email", "2024-06-15T08:00:00.000Z", "Preference Centre", E,
         "", "OptOut"),
    ]
    write_csv("salesforce/ContactPointTypeConsent.csv",
              ["Id", "Name", "PartyId", "CaptureContactPointType", "CaptureDate", "CaptureSource",
               "DataUsePurposeId", "DoubleConsentCaptureDate", "EffectiveFrom", "EffectiveTo", "PrivacyConsentStatus"],
              [["0ZV7Q0000003Q%02dWAE" % (n + 1), name, party, kind, at, src, purpose, double, at, "", status]
               for n, (name, party, kind, at, src, purpose, double, status) in enumerate(consents)],
              bom=True, quote_all=True, eol="\r\n")


def hubspot():
    # HubSpot writes local times without a zone (the profile assumes Europe/London) and an en dash
    # in its legal-basis values.
    rows = [
        [8101, "Nora", "Ahmadi", "nora.ahmadi@example.org", "", "", "2024-01-08 11:00", "lead",
         "Legitimate interest – prospect/lead", "false", "", "", "2024-01-08 11:00"],
        [8102, "Oskar", "Lindgren", "Oskar.Lindgren@example.se", "", "1988-05-30", "2023-03-11 09:15", "customer",
         "Freely given consent from contact", "false", "false", "", "2024-05-03 10:00"],
        [8103, "Κωνσταντίνος", "Παππάς", "kostas.pappas@example.gr", "+30 210 555 0103", "", "2023-06-01 10:30",
         "customer", "Performance of a contract;Not applicable", "", "", "", "2024-06-15 09:00"],
        [8104, "Amelia", "Hughes", CLEAN_EMAILS[0], "", "", "2023-01-20 14:00", "customer",
         "Freely given consent from contact", "false", "false", "false", "2023-01-20 14:00"],
    ]
    write_csv("hubspot/hubspot-crm-exports-all-contacts-2024-09-30.csv",
              ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Date of birth", "Create Date",
               "Lifecycle Stage", "Legal basis for processing contact's data", "Opted out of all email",
               "Opted out of email: Marketing Information", "Opted out of email: Product Updates",
               "Last Modified Date"], rows)


def onetrust():
    receipts = [
        {"identifier": "Lea.Hoffmann@example.de", "identifierType": "Email",
         "dsDataElements": {"FirstName": "Lea", "LastName": "Hoffmann", "DateOfBirth": "2011-05-14"},
         "collectionPointName": "Newsletter sign-up (web)", "receiptId": "3f9a2c1e-5b7d-4e8f-9a0b-1c2d3e4f5a61",
         "interactionDate": "2024-03-01T14:00:00.000+0000",
         "purposes": [{"Id": "8a2d1c0f-5e2b-4d4f-a01b-2c3d4e5f6a71", "Name": "Email Marketing",
                       "TransactionType": "CONFIRMED", "consentDate": "2024-03-01T14:00:00.000+0000"}]},
        {"identifier": "mateo.silva@example.pt", "identifierType": "Email",
         "additionalIdentifiers": [{"identifier": "+351 912 345 678", "identifierType": "Phone Number"}],
         "dsDataElements": {"FirstName": "Mateo", "LastName": "Silva"},
         "collectionPointName": "Checkout consent banner", "receiptId": "4a0b3d2f-6c8e-4f90-8b1c-2d3e4f5a6b72",
         "interactionDate": "2024-02-12T19:00:00.000+0000",
         "purposes": [
             {"Id": "b4c5d6e7-3333-4c3d-9e0f-1a2b3c4d5e6f", "Name": "Personalised Advertising",
              "TransactionType": "CONFIRMED", "consentDate": "2024-02-12T19:00:00.000+0000"},
             {"Id": "c5d6e7f8-4444-4d4e-8f10-2b3c4d5e6f70", "Name": "SMS Marketing",
              "TransactionType": "CONFIRMED", "consentDate": "2024-02-12T19:00:00.000+0000"},
             {"Id": "8a2d1c0f-5e2b-4d4f-a01b-2c3d4e5f6a71", "Name": "Email Marketing", "TransactionType": "PENDING"}]},
        # OneTrust writes some dates as epoch seconds inside a string.
        {"identifier": "yara.haddad@example.lb", "identifierType": "Email",
         "dsDataElements": {"FirstName": "يارا", "LastName": "حداد"},
         "collectionPointName": "Web preference centre", "receiptId": "5b1c4e3a-7d9f-4a01-9c2d-3e4f5a6b7c83",
         "interactionDate": "1717236000",
         "purposes": [
             {"Id": "8a2d1c0f-5e2b-4d4f-a01b-2c3d4e5f6a71", "Name": "Email Marketing", "TransactionType": "WITHDRAWN",
              "withdrawnDate": "1717236000"},
             {"Id": "b4c5d6e7-3333-4c3d-9e0f-1a2b3c4d5e6f", "Name": "Personalised Advertising",
              "TransactionType": "NO_CHOICE"}]},
    ]
    write("onetrust/datasubjects-export-2024-09.json", json.dumps(receipts, ensure_ascii=False, indent=2) + "\n")


def segment():
    lines = []
    n = [0]

    def ev(d):
        n[0] += 1
        d = {"type": d.pop("type"), "messageId": "ajs-next-%04d-9b2e" % n[0], **d}
        lines.append(json.dumps(d, ensure_ascii=False))

    def cpu(user, at, prefs, ip):
        ev({"type": "track", "event": "Segment Consent Preference Updated", "userId": user, "timestamp": at,
            "context": {"ip": ip, "library": {"name": "analytics.js", "version": "next-1.62.0"},
                        "page": {"url": "https://shop.alderfinch.example/"},
                        "consent": {"categoryPreferences": prefs}}, "properties": {}})

    ev({"type": "identify", "userId": "u-5001", "anonymousId": "anon-7d01", "timestamp": "2024-02-01T09:59:58.120Z",
        "traits": {"email": "maria.sokolova@example.ru", "firstName": "Мария", "lastName": "Соколова"}})
    cpu("u-5001", "2024-02-01T10:00:00.000Z", {"Advertising": False, "Email Marketing": True, "Personalization": False},
        "192.0.2.51")
    ev({"type": "identify", "userId": "u-5002", "timestamp": "2024-02-03T18:29:40.000Z",
        "traits": {"email": "hamid.rahimi@example.org", "firstName": "حامد", "lastName": "رحیمی"}})
    cpu("u-5002", "2024-02-03T18:30:00.000Z", {"Advertising": True, "Email Marketing": True, "Personalization": True},
        "192.0.2.52")
    ev({"type": "identify", "userId": "u-5003", "timestamp": "2024-05-20T07:00:00.000Z",
        "traits": {"email": "yara.haddad@example.lb", "firstName": "يارا", "lastName": "حداد"}})
    cpu("u-5003", "2024-05-20T07:00:30.000Z", {"Email Marketing": True}, "192.0.2.53")
    ev({"type": "track", "event": "Audience Synced", "userId": "u-5001", "timestamp": "2024-03-01T02:00:00.000Z",
        "properties": {"destination": "Facebook Custom Audiences", "audience_key": "spring_hikers"}})
    ev({"type": "track", "event": "Audience Synced", "userId": "u-5002", "timestamp": "2024-03-01T02:00:00.000Z",
        "properties": {"destination": "Facebook Custom Audiences", "audience_key": "spring_hikers"}})
    ev({"type": "track", "event": "Product Viewed", "userId": "u-5002", "timestamp": "2024-03-06T18:22:10.000Z",
        "properties": {"product_id": "PACK-38L", "name": "Ridgeline 38L pack"}})
    ev({"type": "page", "anonymousId": "anon-2f90", "timestamp": "2024-03-07T21:13:59.000Z", "name": "Home",
        "properties": {"url": "https://shop.alderfinch.example/"}})
    ev({"type": "track", "event": "Audience Synced", "userId": "u-5002", "timestamp": "2024-04-08T02:00:00.000Z",
        "properties": {"destination": "Criteo", "audience_key": "cart_abandoners"}})
    ev({"type": "track", "event": "Email Sent", "userId": "u-5003", "timestamp": "2024-07-01T09:00:00.000Z",
        "properties": {"campaign_name": "July Trail Guide", "email_subject": "مسارات جديدة في تموز"}})
    write("segment/segment-events-2024.jsonl", "\n".join(lines) + "\n")


def kantara():
    receipts = [{
        "version": "KI-CR-v1.1.0", "jurisdiction": "GB", "consentTimestamp": "1709290800",
        "collectionMethod": "In-store loyalty tablet", "consentReceiptID": "a7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d01",
        "language": "zh", "piiPrincipalId": "chen.jing@example.cn",
        "piiControllers": [{"piiController": ORG, "onBehalf": False}],
        "policyUrl": "https://alderfinch.example/privacy/2023-1",
        "services": [{"service": "Loyalty club", "purposes": [
            {"purpose": "Newsletter", "consentType": "IMPLICIT", "purposeCategory": ["Marketing"],
             "piiCategory": ["Contact details", "Purchase history"], "primaryPurpose": True,
             "termination": "On leaving the loyalty club", "thirdPartyDisclosure": False}]}],
        "sensitive": False, "spiCat": []}]
    write("kantara/consent-receipts-2024.json", json.dumps(receipts, ensure_ascii=False, indent=2) + "\n")


def activation_log():
    rows = []
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September"]
    for m, name in enumerate(months, start=1):
        at = f"2024-{m:02d}-02T10:00:00Z"
        recipients = list(CLEAN_EMAILS) + ["fiona.macleod@example.co.uk", "oskar.lindgren@example.se"]
        if m >= 3:
            recipients.append("lea.hoffmann@example.de")
        if m <= 6:
            recipients.append("kostas.pappas@example.gr")
        if m in (2, 3):
            recipients += ["wang.fang@example.cn", "tunde.adeyemi@example.ng", "nora.ahmadi@example.org"]
        if m == 5:
            recipients += ["daniel.cohen@example.il", "chen.jing@example.cn"]
        for r in recipients:
            rows.append([at, r, "email_send", "", "Email Marketing", f"{name} Newsletter"])
    rows += [
        ["2024-03-08T10:00:00Z", "arjun.mehta@example.in", "sms_send", "", "SMS Marketing", "Spring flash sale"],
        ["2024-03-08T10:00:00Z", "aisha.bello@example.ng", "sms_send", "", "SMS Marketing", "Spring flash sale"],
        ["2024-03-08T10:00:00Z", "mateo.silva@example.pt", "sms_send", "", "SMS Marketing", "Spring flash sale"],
        ["2024-05-03T14:00:00Z", "oskar.lindgren@example.se", "data_share", "Quillon Data Ltd", "Email Marketing",
         "List enrichment Q2"],
        ["2024-04-01T03:00:00Z", "mateo.silva@example.pt", "audience_sync", "Facebook Custom Audiences",
         "Personalised Advertising", "Spring retargeting"],
    ]
    rows.sort(key=lambda r: (r[0], r[1]))
    write_csv("logs/cdp_activation_log_2024.csv",
              ["occurred_at", "customer_email", "action", "destination", "purpose_label", "campaign"], rows)


if __name__ == "__main__":
    for d in ["mailchimp", "salesforce", "hubspot", "onetrust", "segment", "kantara", "logs"]:
        os.makedirs(os.path.join(HERE, d), exist_ok=True)
    mailchimp(); salesforce(); hubspot(); onetrust(); segment(); kantara(); activation_log()
