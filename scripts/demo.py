"""make demo: a year of the plan of work's groups, by mail, in a few minutes.

Starts a Dovecot and an SMTP server on loopback in a temporary directory,
wired so that mail to the example groups' members lands in their own IMAP
mailboxes and mail to the organizer in convened's; then runs
`convened once --now` week by week through 2021 on the example
configuration.  Between runs the people act from their mailboxes: members
accept or decline invitations (a regular series once, as one recurring
event), a coordinator replaces and another
confirms an agenda, coordinators send minutes with a PDF; South-South
members volunteer to present their experiences (one withdraws in June,
and the next in line moves up), the agendas list them and the presenters
send their slides, which grow the group's experiences.md; the
civil-society group chooses the date of its third dialogue by a
scheduling poll: each member answers their ballot (one changes their
answer), the coordinators get the tally and, a week later, a reminder,
and the secretariat's coordinator confirms the leading date, which every
member is then invited to; at midyear the covid-reactivation group drops
its second half of the year and is warned for falling short of its
quota.  The South-South group's plan of work (Table 2) runs as
milestones: its coordinators are reminded before and on each due date
and answer HECHO, some with the document attached (archived as the
group's); the last one, its adoption at the Conference, is left
overdue and the admin told.  Social protection's open seminar on social
registries is announced to the Social Development Community's list; four
people from outside the groups register by mail, three are invited and
the fourth waits for a seat.  In May a South-South member writes to the
group's list: held (not an answer to anything), a coordinator approves
it, and another member's reply to their copy goes to everyone at once;
the public group's list archive is on the site, and each relayed post
carries List-Archive (the demo sets [daemon] site_url).  Prints `status`
and the year's report, stops
everything it started, and says where to look: last, the repository's git
history, its public site and the year's report as one HTML file.

Run by Debian's /usr/bin/python3 (python3-aiosmtpd), as root or not."""

import base64
import datetime
import email
import email.policy
import email.utils
import hashlib
import json
import os
import re
import shutil
import smtplib
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from dovecot import Dovecot, free_port  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402

CONVENED = os.path.join(ROOT, "convened")
ORGANIZER = "agenda@conferencia.example.org"
PASSWORD = "demo-secret"
YEAR = 2021
# South-South members who present their country's experience, in their
# own words (issue 15); who volunteers for which meeting is decided by
# volunteers().
TITLES = {
    "ana.perez@mides.example.uy": ("PRESENTAR", "Uruguay: programa Cercanías"),
    "francisca.munoz@mds.example.cl": ("Presentar", "Chile: Sistema Elige Vivir Sano"),
    "martin.rodriguez@mides.example.uy": ("PRESENTAR", "Uruguay: Uruguay Crece Contigo"),
    "julian.gomez@desarrollosocial.example.ar": ("PRESENTAR", "Argentina: Potenciar Trabajo"),
    "joao.carvalho@mds.example.br": ("APRESENTAR", "Brasil: Cadastro Único"),
    "claudia.restrepo@alianzapacifico.example.org": ("presentar",
                                                     "Alianza del Pacífico: cooperación técnica"),
    "gustavo.riquelme@ism.example.org": ("PRESENTAR", "MERCOSUR: Instituto Social"),
}
# The South-South list's exchange (issue 20): who writes first and when,
# who approves the held post, who answers it.
LIST = "agenda+south-south@conferencia.example.org"
LIST_POST = ("martin.rodriguez@mides.example.uy", datetime.date(YEAR, 5, 10),
             "Encuesta regional de cuidados",
             "Estimados colegas: el MIDES prepara una encuesta de cuidados y "
             "buscamos cuestionarios de otros países. ¿Alguien puede compartir el suyo?")
LIST_APPROVER = "daniela.fuentes@cepal.example.org"
LIST_ANSWER = ("joao.carvalho@mds.example.br",
               "Olá, Martín: o MDS tem o questionário da PNAD Cuidados; envio o link "
               "na próxima reunião.")
SITE_URL = "https://conferencia.example.org/grupos"
WITHDRAWS = ("francisca.munoz@mds.example.cl", "-20210616")    # then the next moves up
IN_LINE = ("julian.gomez@desarrollosocial.example.ar", "-20210616")   # fourth: waits
# People outside every group who read the Social Development Community's
# list and register for the open seminar, each in their language.
OUTSIDERS = [("valeria.rojas@fundacion.example.cl", "INSCRIBIR"),
             ("paulo.lima@universidade.example.br", "Inscrever"),
             ("amelie.durand@observatoire.example.ht", "INSCRIRE"),
             ("grace.brown@uwi.example.jm", "REGISTER")]


def say(*a):
    print(*a, flush=True)


class Relay:
    """The loopback MTA: whatever convened submits goes, by LMTP, into the
    recipient's Dovecot mailbox; an unknown recipient is refused as a real
    server would."""

    def __init__(self, dovecot):
        self.dovecot = dovecot
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() not in self.dovecot.known:
            return "550 5.1.1 <%s>: no such mailbox here" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with smtplib.LMTP("127.0.0.1", self.dovecot.lmtp_port, timeout=30) as lmtp:
            lmtp.sendmail(envelope.mail_from, envelope.rcpt_tos, envelope.original_content)
        self.count += 1
        return "250 OK delivered"


def people(groupdir, admin):
    """Every member and guest address of the example, the organizer and
    the admin."""
    out = {ORGANIZER, admin}
    for f in os.listdir(groupdir):
        if not f.endswith(".ini"):
            continue
        text = open(os.path.join(groupdir, f), encoding="utf-8").read()
        out.update(a.lower() for a in re.findall(r"^\[member\s+([^\]\s]+)\]", text, re.M))
        for line in re.findall(r"^(?:guests|announce)\s*=\s*(.*)$", text, re.M):
            out.update(a.strip().lower() for a in line.split(",") if a.strip())
    out.update(a for a, _ in OUTSIDERS)
    return out


def answer_of(addr, uid):
    """Who answers what, decided once, the same on every run: most accept,
    some decline, some never answer."""
    h = int(hashlib.sha256((addr + uid).encode()).hexdigest(), 16) % 10
    return "ACCEPTED" if h < 6 else "DECLINED" if h < 8 else "TENTATIVE" if h < 9 else None


def volunteers(addr, meeting):
    """Whether addr offers a presentation at meeting: about half of them
    each month, in turns; Argentina's in June too, fourth in line."""
    if addr not in TITLES:
        return False
    month = int(meeting.rsplit("-", 1)[1][4:6])
    if (addr, meeting[-9:]) == IN_LINE:
        return True
    return (month + sorted(TITLES).index(addr)) % 2 == 0


def calendar_text(msg):
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_param("method"), part.get_content()
    return None, None


def about(msg):
    """(kind, group, meeting UID's local part) of a message convened sent:
    its Message-ID is "cv1.<kind>.<group>.<meeting>.<ref>.<token>@..."
    (daemon/msgid.h)."""
    fields = str(msg["Message-ID"]).strip("<>").split("@")[0].split(".")
    if len(fields) != 6 or fields[0] != "cv1":
        return None, None, None
    return fields[1], fields[2], fields[3]


def send(raw, sender, smtp_port):
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as s:
        s.sendmail(sender, [ORGANIZER], raw)


def rsvp(addr, invitation, partstat, when):
    """The REPLY a member's calendar client sends when they press Accept or
    Decline at when (the simulated time: a DTSTAMP of the real clock would
    be years ahead of it, which convened does not believe): the event (for
    a series, its master: the first VEVENT), METHOD:REPLY, their ATTENDEE
    line only."""
    _, text = calendar_text(invitation)
    keep = []
    in_event = False
    for line in text.replace("\r\n ", "").splitlines():
        if line == "BEGIN:VEVENT":
            in_event = True
        if line == "END:VEVENT":
            break
        if in_event and line.split(":", 1)[0].split(";", 1)[0] in (
                "UID", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "ORGANIZER"):
            keep.append(line)
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    ics = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//demo client//EN",
                       "METHOD:REPLY", "BEGIN:VEVENT"] + keep +
                      ["DTSTAMP:" + stamp,
                       "ATTENDEE;PARTSTAT=%s:mailto:%s" % (partstat, addr),
                       "END:VEVENT", "END:VCALENDAR", ""])
    word = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentative"}[partstat]
    return ("From: %s\r\nTo: %s\r\nSubject: %s: %s\r\nMessage-ID: %s\r\nDate: %s\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/calendar; method=REPLY; charset=UTF-8\r\n"
            "\r\n%s" % (addr, ORGANIZER, word, invitation["Subject"], email.utils.make_msgid(),
                        email.utils.format_datetime(when), ics)).encode()


def reply(addr, original, text, when, attachment=None):
    head = ("From: %s\r\nTo: %s\r\nSubject: Re: %s\r\nMessage-ID: %s\r\nIn-Reply-To: %s\r\n"
            "References: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\n"
            % (addr, ORGANIZER, str(original["Subject"]).replace("\n", " "),
               email.utils.make_msgid(), original["Message-ID"], original["Message-ID"],
               email.utils.format_datetime(when)))
    quoted = "".join("> %s\r\n" % l for l in
                     original.get_body(("plain",)).get_content().splitlines()[:6])
    body = "%s\r\n\r\nOn %s, %s wrote:\r\n%s" % (text, original["Date"], ORGANIZER, quoted)
    if attachment is None:
        return (head + "Content-Type: text/plain; charset=UTF-8\r\n\r\n" + body).encode()
    name, data = attachment
    return (head + 'Content-Type: multipart/mixed; boundary="demo"\r\n\r\n'
            "--demo\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n%s\r\n"
            "--demo\r\nContent-Type: application/pdf; name=\"%s\"\r\n"
            "Content-Disposition: attachment; filename=\"%s\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--demo--\r\n"
            % (body, name, name, base64.encodebytes(data).decode())).encode()


def list_mail(addr, subject, text, when, original=None):
    """A message to the South-South list: a new post, or (original given)
    a reply to the copy addr received."""
    head = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: %s\r\nDate: %s\r\n"
            % (addr, LIST, subject, email.utils.make_msgid(), email.utils.format_datetime(when)))
    if original is not None:
        head += "In-Reply-To: %s\r\nReferences: %s\r\n" % (original["Message-ID"],
                                                           original["Message-ID"])
    return (head + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
            + text + "\r\n").encode()


def minutes_pdf(title):
    """A small, valid one-page PDF."""
    text = "(%s) Tj" % title.replace("(", "").replace(")", "")
    stream = "BT /F1 14 Tf 72 720 Td %s ET" % text
    objs = ["<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            "/Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offs = "%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += "%d 0 obj\n%s\nendobj\n" % (i, o)
    xref = len(out)
    out += "xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += "".join("%010d 00000 n \n" % o for o in offs)
    out += "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out.encode()


class Demo:
    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="convened-demo.")
        os.chmod(self.work, 0o711)
        self.config = os.path.join(self.work, "convened.ini")
        self.groups = os.path.join(self.work, "groups.d")
        shutil.copytree(os.path.join(ROOT, "config", "groups.d"), self.groups)
        self.handled = set()
        self.stats = {"rsvp": 0, "agenda": 0, "minutes": 0, "milestones": 0, "offers": 0,
                      "withdrawn": 0, "materials": 0, "ballots": 0, "registered": 0,
                      "list": 0}
        self.milestones_done = set()
        self.second_thoughts = None     # (ballot, when) a member answers again

    def start(self):
        text = open(os.path.join(ROOT, "config", "convened.ini"), encoding="utf-8").read()
        self.admin = re.search(r"^admin\s*=\s*(\S+)", text, re.M).group(1)
        addrs = sorted(people(self.groups, self.admin))
        self.dc = Dovecot(os.path.join(self.work, "mail"), users=addrs, password=PASSWORD,
                          full_addresses=True)
        self.dc.known = set(addrs)
        self.dc.start()
        self.relay = Relay(self.dc)
        self.smtp_port = free_port()
        self.smtpd = Controller(self.relay, hostname="127.0.0.1", port=self.smtp_port)
        self.smtpd.start()
        with open(os.path.join(self.work, "imap.pass"), "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(os.path.join(self.work, "imap.pass"), 0o600)
        text = open(os.path.join(ROOT, "config", "convened.ini"), encoding="utf-8").read()
        for key, value in (("state", os.path.join(self.work, "state.db")),
                           ("repository", os.path.join(self.work, "repository")),
                           ("groups", self.groups),
                           ("templates", os.path.join(ROOT, "templates"))):
            text = re.sub(r"^%s = .*$" % key, "%s = %s" % (key, value), text, flags=re.M)
        text = text.replace("[daemon]\n", "[daemon]\nsite_url = %s\n" % SITE_URL, 1)
        text = re.sub(r"^\[smtp\].*?(?=^\[imap\])",
                      "[smtp]\nurl = smtp://127.0.0.1:%d\ntls = none\n\n" % self.smtp_port,
                      text, flags=re.M | re.S)
        text = re.sub(r"^\[imap\].*?(?=^\[policy\])",
                      "[imap]\nurl = imap://127.0.0.1:%d\nusername = %s\n"
                      "password_file = ./imap.pass\ntls = none\nfolders = INBOX, Junk\n"
                      "processed_folder = Processed\n\n" % (self.dc.imap_port, ORGANIZER),
                      text, flags=re.M | re.S)
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)

    def stop(self):
        try:
            if getattr(self, "smtpd", None) is not None:
                self.smtpd.stop()
        finally:
            if getattr(self, "dc", None) is not None:
                self.dc.stop()

    def convened(self, *args, now=None, show=False):
        cmd = [CONVENED, "-c", self.config] + (["--now", now] if now else []) + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit("convened %s failed (%d):\n%s" % (" ".join(args), p.returncode,
                                                               p.stderr))
        if show:
            print(p.stdout, end="", flush=True)
        return p

    def mailbox(self, addr):
        for m in self.dc.messages(addr, "INBOX"):
            if m["name"] in self.handled:
                continue
            self.handled.add(m["name"])
            yield email.message_from_bytes(m["data"], policy=email.policy.default)

    def act(self, day):
        """What people do with the mail that reached them."""
        who, when, subject, text = LIST_POST
        if not self.stats["list"] and day.date() >= when:
            send(list_mail(who, subject, text, day), who, self.smtp_port)
            self.stats["list"] += 1
            say("  %s  %s writes to the South-South list" % (day.strftime("%Y-%m-%d"), who))
        for addr in sorted(self.dc.known - {ORGANIZER}):
            for msg in self.mailbox(addr):
                kind, group, meeting = about(msg)
                if group == "south-south" and kind in ("list-moderation", "post"):
                    self.on_list(addr, kind, msg, day)
                    continue
                method, text = calendar_text(msg)
                if method == "REQUEST" and re.search(r"^SEQUENCE:0\r?$", text, re.M):
                    uid = re.search(r"^UID:(.*)$", text.replace("\r\n ", ""), re.M).group(1)
                    partstat = answer_of(addr, uid)
                    if addr in dict(OUTSIDERS):
                        partstat = "ACCEPTED"   # they asked to come
                    if partstat:
                        send(rsvp(addr, msg, partstat, day), addr, self.smtp_port)
                        self.stats["rsvp"] += 1
                elif kind == "agenda-request" and meeting.startswith("south-south-monthly-"):
                    # Chile's coordinator rewrites the March agenda; ECLAC's
                    # confirms the drafts as they come.
                    if addr == "daniela.fuentes@cepal.example.org":
                        send(reply(addr, msg, "CONFIRMAR", day), addr, self.smtp_port)
                        self.stats["agenda"] += 1
                    elif addr == "francisca.munoz@mds.example.cl" and meeting.endswith("-20210317"):
                        send(reply(addr, msg,
                                   "1. Apertura y bienvenida\r\n"
                                   "2. Experiencia de Chile: Sistema Elige Vivir Sano\r\n"
                                   "3. Experiencia del Uruguay: programa Cercanías\r\n"
                                   "4. Acuerdos y próxima reunión", day), addr,
                         self.smtp_port)
                        self.stats["agenda"] += 1
                elif kind in ("presentations-call", "presentation-reply",
                              "materials-request") and meeting.startswith("south-south-monthly-"):
                    self.present(addr, kind, meeting, msg, day)
                elif kind == "minutes-request" and meeting.startswith("south-south-monthly-") \
                        and addr == "ana.perez@mides.example.uy":
                    date = meeting.rsplit("-", 1)[1]
                    pdf = minutes_pdf("Acta de la reunion Sur-Sur del %s" % date)
                    send(reply(addr, msg, "Adjuntamos el acta de la reunión.", day,
                               ("acta-%s.pdf" % date, pdf)), addr, self.smtp_port)
                    self.stats["minutes"] += 1
                elif kind == "milestone-reminder":
                    self.milestone(addr, msg, day)
                elif kind == "poll-ballot":
                    self.ballot(addr, msg, day)
                elif kind == "poll-tally":
                    self.tally(addr, msg, day)
                elif kind == "seminar-announce":
                    self.register(msg, day)
        if self.second_thoughts is not None and day >= self.second_thoughts[1]:
            addr, msg = self.second_thoughts[0]
            send(reply(addr, msg, "2, 3", day), addr, self.smtp_port)
            say("  %s  %s changes their answer to the poll: 2, 3" % (
                day.strftime("%Y-%m-%d"), addr))
            self.second_thoughts = None
            self.stats["ballots"] += 1

    # The words for "none of them" in each ballot's language.
    NONE = {"es": "ninguna", "pt": "nenhuma", "fr": "aucune", "en": "none"}

    def ballot(self, addr, msg, day):
        """A member answers the poll's ballot: the numbers that suit them,
        decided once from their address; one answers none in the ballot's
        language; one answers 1 now and changes their mind a month on."""
        text = msg.get_body(("plain",)).get_content()
        if addr == "mariano.pereyra@empresasb.example.org":
            answer = "1"
            self.second_thoughts = ((addr, msg), day + datetime.timedelta(days=30))
        elif addr == "luana.ferreira@redecidada.example.br":
            answer = self.NONE["pt" if "NENHUMA" in text else "es"]
        else:
            h = int(hashlib.sha256(addr.encode()).hexdigest(), 16)
            answer = ", ".join(str(i) for i in (1, 2, 3) if h >> i & 1) or "2"
        send(reply(addr, msg, answer, day), addr, self.smtp_port)
        self.stats["ballots"] += 1
        say("  %s  %s answers the civil-society poll: %s" % (
            day.strftime("%Y-%m-%d"), addr, answer))

    def tally(self, addr, msg, day):
        """The secretariat's coordinator lets the tally wait, and confirms
        the leading date when the reminder comes."""
        if addr != "paula.lagos@cepal.example.org" or \
                "recordatorio" not in str(msg["Subject"]):
            say("  %s  %s receives the poll's %s" % (
                day.strftime("%Y-%m-%d"), addr,
                "reminder" if "recordatorio" in str(msg["Subject"]) else "tally"))
            return
        text = msg.get_body(("plain",)).get_content()
        n = re.search(r"número (\d+):", text).group(1)
        send(reply(addr, msg, "CONFIRMAR %s" % n, day), addr, self.smtp_port)
        say("  %s  %s answers the reminder: CONFIRMAR %s" % (day.strftime("%Y-%m-%d"), addr, n))

    def on_list(self, addr, kind, msg, day):
        """ECLAC's coordinator approves the held post; Brazil answers its
        copy, to the list, at once."""
        if kind == "list-moderation" and addr == LIST_APPROVER and self.stats["list"] == 1:
            send(reply(addr, msg, "APROBAR", day), addr, self.smtp_port)
            self.stats["list"] += 1
            say("  %s  %s approves it" % (day.strftime("%Y-%m-%d"), addr))
        elif kind == "post" and addr == LIST_ANSWER[0] and self.stats["list"] == 2:
            send(list_mail(addr, "Re: " + str(msg["Subject"]), LIST_ANSWER[1], day, msg),
                 addr, self.smtp_port)
            self.stats["list"] += 1
            say("  %s  %s answers on the list" % (day.strftime("%Y-%m-%d"), addr))

    # Which coordinator of South-South marks which milestone done, and the
    # document they attach (None: none); the adoption is left overdue.
    MILESTONE_ANSWERS = {
        "priorities": ("francisca.munoz@mds.example.cl", "prioridades-sur-sur.pdf"),
        "seminars": ("ana.perez@mides.example.uy", None),
        "summary-document": ("daniela.fuentes@cepal.example.org", "documento-resumen.pdf"),
        "next-plan": ("ana.perez@mides.example.uy", "plan-de-trabajo-2022-2023.pdf"),
    }

    def milestone(self, addr, msg, day):
        """A coordinator answers a milestone's reminder: HECHO, with the
        document when there is one."""
        text = msg.get_body(("plain",)).get_content()
        for name, (who, doc) in self.MILESTONE_ANSWERS.items():
            if who != addr or name in self.milestones_done or "(%s)" % name not in text:
                continue
            self.milestones_done.add(name)
            attachment = (doc, minutes_pdf(doc[:-4].replace("-", " "))) if doc else None
            send(reply(addr, msg, "HECHO", day, attachment), addr, self.smtp_port)
            self.stats["milestones"] += 1
            say("  %s  %s answers HECHO to milestone %s%s" % (
                day.strftime("%Y-%m-%d"), addr, name, " with " + doc if doc else ""))

    def present(self, addr, kind, meeting, msg, day):
        """South-South members volunteer, one withdraws, presenters send
        their slides."""
        if kind == "presentations-call" and volunteers(addr, meeting):
            word, title = TITLES[addr]
            send(reply(addr, msg, "%s: %s" % (word, title), day), addr, self.smtp_port)
            self.stats["offers"] += 1
        elif kind == "presentation-reply" and (addr, meeting[-9:]) == WITHDRAWS \
                and not self.stats["withdrawn"]:
            send(reply(addr, msg, "RETIRAR", day), addr, self.smtp_port)
            self.stats["withdrawn"] += 1
        elif kind == "materials-request":
            date = meeting.rsplit("-", 1)[1]
            pdf = minutes_pdf("%s (%s)" % (TITLES.get(addr, ("", "Experiencia"))[1], date))
            send(reply(addr, msg, "Adjunto la presentación.", day,
                       ("presentacion-%s.pdf" % date, pdf)), addr, self.smtp_port)
            self.stats["materials"] += 1

    def register(self, announcement, day):
        """The list's readers outside the groups answer the announcement:
        the first line their word for REGISTER."""
        for addr, word in OUTSIDERS:
            send(reply(addr, announcement, word, day), addr, self.smtp_port)
            self.stats["registered"] += 1
            say("  %s  %s answers %s to the seminar's announcement" % (
                day.strftime("%Y-%m-%d"), addr, word))

    def drop_second_half(self):
        """Covid reactivation keeps only its first half of the year."""
        path = os.path.join(self.groups, "52-covid-reactivation.ini")
        text = open(path, encoding="utf-8").read()
        text = re.sub(r"^(rrule = FREQ=[^\n]*)$", r"\1;UNTIL=20210630T235959Z", text, flags=re.M)
        text = re.sub(r"^start = 2021-10-14 ", "start = 2022-03-10 ", text, flags=re.M)
        open(path, "w", encoding="utf-8").write(text)

    def run(self):
        say("== the example configuration (the groups of the plan of work)")
        self.convened("check", show=True)
        say("\n== a simulated %d, week by week" % YEAR)
        day = datetime.datetime(YEAR, 1, 4, 12, 0, tzinfo=datetime.timezone.utc)
        end = datetime.datetime(YEAR, 12, 31, 12, 0, tzinfo=datetime.timezone.utc)
        step = datetime.timedelta(days=3, hours=12)
        dropped = False
        while day <= end:
            now = day.strftime("%Y-%m-%dT%H:%M:%SZ")
            if not dropped and day.month >= 7:
                self.drop_second_half()
                dropped = True
                say("  %s  covid-reactivation drops its meetings after June" % now[:10])
            p = self.convened("once", now=now)
            summary = [l for l in p.stderr.splitlines() if "cycle done" in l]
            self.act(day)
            if day.day <= 4 or day.month == 12 and day.day > 27:
                say("  %s  %s" % (now[:10], summary[-1].split("cycle done: ")[1]
                                 if summary else ""))
            day += step
        say("\n  people answered: %(rsvp)d RSVPs, %(agenda)d agenda replies, "
            "%(minutes)d minutes, %(milestones)d milestones done, "
            "%(ballots)d poll answers, %(registered)d registrations" % self.stats)
        say("  South-South: %(offers)d offers to present, %(withdrawn)d withdrawn, "
            "%(materials)d presenters' slides" % self.stats)
        if self.stats["list"] != 3:
            raise SystemExit("demo: the South-South list exchange stopped at step %d of 3"
                             % self.stats["list"])
        say("\n== convened status (31 December %d)" % YEAR)
        self.convened("status", now="%d-12-31T12:00:00Z" % YEAR, show=True)
        say("\n== convened report --year %d" % YEAR)
        self.convened("report", "--year", str(YEAR), now="%d-12-31T12:00:00Z" % YEAR, show=True)
        warned = [m for m in self.dc.messages(self.admin, "INBOX")
                  if re.search(rb"^Message-ID: <cv1\.quota-", m["data"], re.M | re.I)]
        say("\n== look at it")
        say("  repository (minutes, documents, calendar feeds): %s/repository" % self.work)
        say("  mailboxes (Maildir, one per address):            %s/mail/home" % self.work)
        say("  state database:                                  %s/state.db" % self.work)
        say("  South-South's experiences presented:             "
            "%s/repository/south-south/experiences.md" % self.work)
        say("  configuration used:                              %s" % self.config)
        if warned:
            say("  quota warnings copied to the admin:              %d" % len(warned))
        reminded = sum(1 for a in self.dc.known - {ORGANIZER} for m in self.dc.messages(a, "INBOX")
                       if re.search(rb"^Message-ID: <cv1\.milestone-reminder\.", m["data"],
                                    re.M | re.I))
        overdue = [m for m in self.dc.messages(self.admin, "INBOX")
                   if re.search(rb"^Message-ID: <cv1\.milestone-overdue\.", m["data"], re.M | re.I)]
        say("  milestone reminders to coordinators:             %d" % reminded)
        say("  overdue milestones told to the admin:            %d" % len(overdue))
        if not overdue:
            raise SystemExit("demo: no overdue milestone was told to the admin")
        self.poll_outcome()
        self.seminar()
        self.site_and_report()

    def site_and_report(self):
        """Where the year's git history, the public site and the HTML
        report are: the last lines the demo prints."""
        repo = os.path.join(self.work, "repository")
        html = self.convened("report", "--year", str(YEAR), "--format", "html",
                             now="%d-12-31T12:00:00Z" % YEAR).stdout
        report = os.path.join(self.work, "report-%d.html" % YEAR)
        with open(report, "w", encoding="utf-8") as f:
            f.write(html)
        page = os.path.join(repo, "site", "south-south.html")
        shown = "minutes" in open(page, encoding="utf-8").read() if os.path.exists(page) else False
        log = subprocess.run(["git", "-C", repo, "log", "--format=%B"], capture_output=True,
                             text=True, check=True).stdout
        if re.search(r"^Kind: recovered$", log, re.M):
            raise SystemExit("demo: a write into the repository was not journaled "
                             "(a 'recovered' commit in its git history)")
        say("  git history, record by record:                   git -C %s log" % repo)
        say("  public group's page%s %s" % (
            " (its minutes there):" if shown else ":                  ", page))
        say("  public site:                                     %s/site/index.html" % repo)
        months = sorted(os.listdir(os.path.join(repo, "site", "files", "south-south", "list")))
        say("  South-South's list archive on the site:          %s/site/files/south-south/"
            "list/%s" % (repo, months[-1] if months else "(none)"))
        say("  HTML report:                                     %s" % report)

    def poll_outcome(self):
        """What the civil-society poll came to: its tally in `status
        --json`, and the meeting it chose among the group's."""
        now = "%d-12-31T12:00:00Z" % YEAR
        st = json.loads(self.convened("status", "--json", "civil-society", now=now).stdout)
        g = st["groups"][0]
        for p in g["polls"]:
            say("  poll %s of civil-society: %s; chosen %s" % (
                p["name"], ", ".join("%s %d yes" % (c["start"], c["yes"])
                                     for c in p["candidates"]), p["chosen"]))
            chosen = [m for m in g["meetings"] if m["start"] == p["chosen"]]
            if not chosen:
                raise SystemExit("demo: the poll's choice is no meeting of the group")
            say("  its meeting %s: %d invited, %d accepted" % (
                chosen[0]["uid"], len(chosen[0]["attendees"]), chosen[0]["rsvp"]["accepted"]))

    def seminar(self):
        """The open seminar's registrants, as status counts them."""
        st = json.loads(self.convened("status", "--json", "social-protection",
                                      now="%d-06-21T12:00:00Z" % YEAR).stdout)
        reg = [m["registered"] for m in st["groups"][0]["meetings"]
               if "-seminar-registries-" in m["uid"]]
        invited = sum(1 for a, _ in OUTSIDERS for m in self.dc.messages(a, "INBOX")
                      if re.search(rb"^Message-ID: <cv1\.invite\.", m["data"], re.M | re.I))
        say("  open seminar registrants (seated, waiting):      %s" % (
            ", ".join("%d, %d" % (r["count"], r["waiting"]) for r in reg)))
        say("  invitations to registrants:                      %d" % invited)
        if reg != [{"count": 3, "waiting": 1}] or invited != 3:
            raise SystemExit("demo: the open seminar did not seat three and keep one waiting")


def main():
    if not os.access(CONVENED, os.X_OK):
        raise SystemExit("build convened first (make)")
    demo = Demo()
    try:
        demo.start()
        demo.run()
    finally:
        demo.stop()


if __name__ == "__main__":
    main()
