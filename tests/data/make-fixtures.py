#!/usr/bin/env python3
"""Writes the hand-made fixtures of tests/data (convened's own, not
third-party samples): the shapes of real client and MTA mail, small and
readable.  Run from anywhere: python3 tests/data/make-fixtures.py
Large hostile inputs (depth 10,000, 1000+ parts, 25 MiB) are built by the
tests at run time instead of being stored."""
import base64, os, quopri

here = os.path.dirname(os.path.abspath(__file__))

def put(name, text, crlf=False, enc="utf-8"):
    data = text.encode(enc) if isinstance(text, str) else text
    if crlf:
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)

def cal(method, body, extra=""):
    m = "METHOD:%s\n" % method if method else ""
    return ("BEGIN:VCALENDAR\nPRODID:-//convened tests//EN\nVERSION:2.0\n"
            + m + extra + "BEGIN:VEVENT\n" + body + "END:VEVENT\nEND:VCALENDAR\n")

def crlf(s):
    return s.replace("\n", "\r\n")

reply_ev = """UID:meeting-42@convened.example.org
SEQUENCE:2
DTSTAMP:20210210T120000Z
DTSTART;TZID=America/Santiago:20210217T150000
DTEND;TZID=America/Santiago:20210217T163000
SUMMARY:Monthly exchange
ORGANIZER;CN=Agenda:mailto:agenda@example.org
ATTENDEE;PARTSTAT=%s;CN="Ana P\u00e9rez":MAILTO:Ana@Mides.Example.UY
"""

# 1. accept from a client: multipart/alternative, inline text/calendar
put("rsvp-accept.eml", """From: =?UTF-8?Q?Ana_P=C3=A9rez?= <Ana@Mides.Example.UY>
To: agenda@example.org
Subject: Accepted: Monthly exchange
Date: Wed, 10 Feb 2021 09:00:00 -0300
Message-ID: <rsvp-accept-1@mides.example.uy>
In-Reply-To: <invite-42@convened.example.org>
References: <root@convened.example.org> <invite-42@convened.example.org>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=UTF-8

Ana P\u00e9rez has accepted.
--b1
Content-Type: text/calendar; charset=UTF-8; method=REPLY
Content-Transfer-Encoding: 8bit

""" + cal("REPLY", reply_ev % "ACCEPTED") + """
--b1--
""", crlf=True)

# 2. decline: base64 calendar + the same calendar again as invite.ics
c = crlf(cal("REPLY", reply_ev % "DECLINED"))
b = base64.encodebytes(c.encode()).decode()
put("rsvp-decline-base64.eml", """From: ana@mides.example.uy
To: agenda@example.org
Subject: Declined: Monthly exchange
Message-ID: <rsvp-decline-1@mides.example.uy>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: multipart/alternative; boundary="a"

--a
Content-Type: text/plain; charset=us-ascii

I cannot come.
--a
Content-Type: text/calendar; charset=UTF-8; method=REPLY
Content-Transfer-Encoding: base64

""" + b + """--a--

--m
Content-Type: application/ics; name="invite.ics"
Content-Disposition: attachment; filename="invite.ics"
Content-Transfer-Encoding: base64

""" + b + """--m--
""")

# 3. tentative, METHOD only on the Content-Type, quoted-printable
c = cal(None, reply_ev % "TENTATIVE")
q = quopri.encodestring(crlf(c).encode()).decode()
put("rsvp-tentative-method-hint.eml", """From: ana@mides.example.uy
To: agenda@example.org
Subject: Tentative: Monthly exchange
Message-ID: <rsvp-tentative-1@mides.example.uy>
MIME-Version: 1.0
Content-Type: text/calendar; charset=UTF-8; method=REPLY
Content-Transfer-Encoding: quoted-printable

""" + q)

# 4. COUNTER: proposes 2021-02-18 15:00 Santiago (18:00Z)
counter_ev = """UID:meeting-42@convened.example.org
SEQUENCE:2
DTSTAMP:20210211T120000Z
DTSTART;TZID=America/Santiago:20210218T150000
DTEND;TZID=America/Santiago:20210218T163000
ORGANIZER:mailto:agenda@example.org
ATTENDEE;PARTSTAT=TENTATIVE:mailto:jo@ilo.example.org
COMMENT:Thursday would suit me better
"""
put("counter.eml", """From: Jo <jo@ilo.example.org>
To: agenda@example.org
Subject: New time proposed: Monthly exchange
Message-ID: <counter-1@ilo.example.org>
MIME-Version: 1.0
Content-Type: text/calendar; method=COUNTER; charset=utf-8

""" + cal("COUNTER", counter_ev))

# 5. REPLY for one occurrence, with a DTSTART (a proposed time)
occ_ev = """UID:meeting-42@convened.example.org
RECURRENCE-ID;TZID=America/Santiago:20210317T150000
SEQUENCE:3
DTSTAMP:20210301T120000Z
DTSTART;TZID=America/Santiago:20210317T170000
ORGANIZER:mailto:agenda@example.org
ATTENDEE;PARTSTAT=ACCEPTED:mailto:jo@ilo.example.org
"""
put("reply-new-dtstart.eml", """From: jo@ilo.example.org
To: agenda@example.org
Subject: Accepted with a new time
Message-ID: <reply-new-time@ilo.example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=xx

--xx
Content-Type: text/calendar; charset=utf-8

""" + cal("REPLY", occ_ev, extra="""BEGIN:VTIMEZONE
TZID:America/Santiago
BEGIN:STANDARD
DTSTART:19700405T000000
TZOFFSETFROM:-0300
TZOFFSETTO:-0400
RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700906T000000
TZOFFSETFROM:-0400
TZOFFSETTO:-0300
RRULE:FREQ=YEARLY;BYMONTH=9;BYDAY=1SU
END:DAYLIGHT
END:VTIMEZONE
""") + """--xx--
""")

# 6. an RFC 3464 DSN (failed), with Auto-Submitted as real ones carry
put("dsn-failed.eml", """Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: agenda@example.org
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
Message-ID: <dsn-failed-1@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: text/plain

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; Gone@Example.COM
Original-Recipient: rfc822;gone@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 no such user

Final-Recipient: rfc822; full@example.net
Action: failed
Status: 4.2.2 (mailbox full, given up)

Final-Recipient: rfc822; fine@example.net
Action: delivered
Status: 2.0.0

--R
Content-Type: message/rfc822

Message-ID: <invite-42@convened.example.org>
From: agenda@example.org
Subject: Invitation

body
--R--
""")

# 7. a delay DSN
put("dsn-delayed.eml", """From: postmaster@mx.example.org
To: agenda@example.org
Subject: Delivery delayed
Auto-Submitted: auto-replied
Message-ID: <dsn-delayed-1@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary=R2

--R2
Content-Type: text/plain

Delivery is delayed; we will keep trying.
--R2
Content-Type: message/global-delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; slow@example.net
Action: delayed
Status: 4.4.7
Will-Retry-Until: Fri, 12 Feb 2021 10:00:00 +0000
--R2
Content-Type: text/rfc822-headers

Message-ID: <invite-43@convened.example.org>
From: agenda@example.org
--R2--
""", crlf=True)

# 8. auto-replies: Spanish subject (RFC 2047), and an RFC 3834 header
put("auto-reply-subject-es.eml", """From: maria@minsal.example.cl
To: agenda@example.org
Subject: =?ISO-8859-1?Q?Respuesta_autom=E1tica:_Monthly_exchange?=
Message-ID: <ooo-1@minsal.example.cl>
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

Estoy fuera de la oficina hasta el lunes.
""")
put("auto-reply-header.eml", """From: jo@ilo.example.org
To: agenda@example.org
Subject: Re: Monthly exchange
Auto-Submitted: auto-replied (vacation)
Message-ID: <ooo-2@ilo.example.org>

I am away.
""")

# 9. Outlook TNEF only
tnef = b"\x78\x9f\x3e\x22" + b"\x00" * 60
put("tnef-only.eml", """From: someone@example.org
To: agenda@example.org
Subject: Accepted: Monthly exchange
Message-ID: <tnef-1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="t"

--t
Content-Type: application/ms-tnef; name="winmail.dat"
Content-Disposition: attachment; filename="winmail.dat"
Content-Transfer-Encoding: base64

""" + base64.encodebytes(tnef).decode() + """--t--
""", crlf=True)

# 10. nested multipart: mixed > alternative > related > mixed, calendar deep
put("nested-multipart.eml", """From: ana@mides.example.uy
To: agenda@example.org
Subject: nested
Message-ID: <nested-1@mides.example.uy>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="n1"

--n1
Content-Type: multipart/alternative; boundary="n2"

--n2
Content-Type: text/html; charset=utf-8

<p>hello</p>
--n2
Content-Type: multipart/related; boundary="n3"

--n3
Content-Type: multipart/mixed; boundary="n4"

--n4
Content-Type: text/plain; charset=utf-8

deep text
--n4
Content-Type: text/calendar; charset=utf-8; method=REPLY

""" + cal("REPLY", reply_ev % "ACCEPTED") + """--n4--
--n3--
--n2--
--n1
Content-Type: application/pdf
Content-Disposition: attachment; filename=minutes.pdf

%PDF-1.4 not really
--n1--
""")

# 11. RFC 2231 name with continuations in UTF-8, and ISO-8859-1 language tag
put("rfc2231-name.eml", """From: ana@mides.example.uy
To: agenda@example.org
Subject: minutes
Message-ID: <rfc2231-1@mides.example.uy>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="z"

--z
Content-Type: text/plain

see attached
--z
Content-Type: application/pdf; name="acta.pdf"
Content-Disposition: attachment;
 filename*0*=UTF-8'es'Acta%20reuni%C3%B3n%20;
 filename*1*=%E2%80%94%20febrero.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--z
Content-Type: text/plain; name*=ISO-8859-1''r%E9sum%E9.txt
Content-Disposition: attachment

x
--z
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="=?UTF-8?B?w6lsw6h2ZS5kb2M=?="

y
--z--
""")

# 12. legacy charsets: raw 8-bit ISO-8859-1 and windows-1252 bodies
put("latin1-body.eml", b"""From: =?iso-8859-1?q?Jos=E9_Mu=F1oz?= <jose@example.cl>
To: agenda@example.org
Subject: =?iso-8859-1?q?Confirmaci=F3n?=
Message-ID: <latin1-1@example.cl>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: 8bit

Confirmo la agenda de la reuni\xf3n. Se\xf1or \xe1\xe9\xed\xf3\xfa.
""")
put("cp1252-body.eml", b"""From: someone@example.org
To: agenda@example.org
Subject: cp1252
Message-ID: <cp1252-1@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=windows-1252
Content-Transfer-Encoding: 8bit

\x93Quoted\x94 \x80 10 \x96 fin.
""", crlf=True)
put("no-charset-8bit.eml", b"""From: someone@example.org
Subject: unlabelled
Message-ID: <nocs-1@example.org>

caf\xe9 sans \xe9tiquette
""")

# 13. malformed calendar objects
put("calendar-no-uid.eml", """From: x@example.org
Subject: broken
Message-ID: <nouid-1@example.org>
Content-Type: text/calendar; method=REPLY

BEGIN:VCALENDAR
VERSION:2.0
METHOD:REPLY
BEGIN:VEVENT
DTSTART:20210217T150000Z
ATTENDEE;PARTSTAT=ACCEPTED:mailto:x@example.org
END:VEVENT
END:VCALENDAR
""")
put("calendar-garbage.eml", """From: x@example.org
Subject: garbage
Message-ID: <garbage-1@example.org>
Content-Type: text/calendar; method=REPLY

this is not a calendar at all ;;; :::
""")
put("impossible-date.ics", cal("REPLY", """UID:bad-date@example.org
DTSTART:20210231T250000Z
ATTENDEE;PARTSTAT=ACCEPTED:mailto:x@example.org
"""))
put("wrong-method.ics", cal("FROBNICATE", """UID:m@example.org
DTSTART:20210217T150000Z
"""))
put("cancelled-no-method.ics", cal(None, """UID:c@example.org
SEQUENCE:4
DTSTART:20210217T150000Z
STATUS:CANCELLED
ORGANIZER:mailto:agenda@example.org
"""), crlf=True)

# 14. a nesting bomb small enough to keep: 30 levels (limit 20)
s = "From: x@example.org\nSubject: nest\nMIME-Version: 1.0\n"
for i in range(30):
    s += 'Content-Type: multipart/mixed; boundary="d%d"\n\n--d%d\n' % (i, i)
s += "Content-Type: text/plain\n\nbottom\n"
for i in reversed(range(30)):
    s += "--d%d--\n" % i
put("nesting-30.eml", s)

# 15. mbox separator, no Message-ID, no final newline, duplicate headers
put("mbox-no-id.eml", """From someone@example.org Mon Feb  1 10:00:00 2021
From: Someone <SOMEONE@Example.ORG>
SUBJECT: first subject
Subject: second subject
Content-Type: text/plain

no message id here""", crlf=True)

# 16. a plain-text bounce in the qmail shape (not the fixture's bytes)
put("qmail-shape-bounce.eml", """From: MAILER-DAEMON@mail.example.net
To: agenda@example.org
Subject: failure notice
Message-ID: <q-1@mail.example.net>

Hi. This is the qmail-send program at mail.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<nobody@example.net>:
192.0.2.7 does not like recipient.
Remote host said: 550 5.1.1 mailbox unavailable
Giving up on 192.0.2.7.

<busy@example.net>:
Sorry, I couldn't find any host by that name. (#4.1.2)
I'm not going to try again; this message has been in the queue too long.

--- Below this line is a copy of the message.

Message-ID: <invite-44@convened.example.org>
From: agenda@example.org

hello
""")
