"""The four pages every site starts with (`flask seed` makes each one that is missing): what
Commons is, what it keeps about people and why, its terms of use, and how to reach its admins.
They are starting text for the admins to make their own at /admin/pages; the seed never
overwrites a page that exists. The contact address is not written into the text: the contact
page shows the one in the site settings, under the text, whenever it is set.
"""

ABOUT = """\
Commons is where the members of our network keep working together: social enterprises,
councils, health bodies, development partnerships, national and regional support agencies
and the people in them. The network grew out of a funded programme of development
partnerships; the funding has ended, and Commons is how we keep talking, sharing what works
and learning from each other.

## What you can do here

- **Take part in the communities.** Seven interest communities (Business support,
  Procurement, Finance, Impact measurement, Workforce development, Health and the Equal
  learning network) each have their discussions, a live chat room and their events.
- **Use the resource bank.** Toolkits, reports, evaluations and publications from the
  programme and from members, reviewed by each community's moderators before they appear.
- **Meet.** Networking days, working groups and other events, online or in person, with
  their own chat rooms on the day.
- **Follow from your inbox.** A daily or weekly digest brings the network's news to members
  who rarely visit; every email has a one-click link to stop it.

## Who runs it

Commons is run by the network for the network. Its **admins** are people from member
organisations who look after the site: the communities, the list of organisations, who may
join and the site's own pages. Each community has **moderators**, members who keep its
discussions useful and welcoming and review what is shared in its resource bank. Nobody is
paid to read what you write, and nothing here is for sale.

## Joining

Anyone who works in or with the network's organisations is welcome. Join with your work
email address, choose your organisation from the list (or name it) and say a little about
yourself on your profile, so that others know who they are talking to.

Questions, ideas or problems: see [Contact](/pages/contact).
"""

PRIVACY = """\
This page says what personal data Commons keeps, why, who can see it and what you can ask
for. It describes what the site actually does; if anything here is unclear, ask the admins
(see [Contact](/pages/contact)).

## What we keep, and why

**Your account.** Your email address, your name, your organisation, your time zone, your role
on the site and, if you add them, your bio and picture. We need the address to sign you in
and to write to you, and the rest so that members know who they are talking to. Your password
is never stored: only a one-way hash of it, which cannot be turned back into the password.

**What you write and share.** Threads, replies and their earlier versions when you edit
them, reactions, chat messages, resources you submit (and their files), events you organise,
whether you are going to an event and any feedback you give on one. They are kept so that the
network's conversations and its archive stay readable.

**Your email choices.** Which emails you want (digests daily, weekly or never; notifications
at once, in the digest or not at all), whether you have unsubscribed, and whether mail to
your address has been bouncing. We keep them so that we send you only what you asked for,
and stop writing to an address that no longer works. The site also keeps a copy of each
email it sends, with when it went, so that a message that did not arrive can be traced.

**Invitations.** When an admin invites someone to join, we keep the address invited, who
invited them and whether the invitation was accepted.

**Your sessions.** When you sign in, your browser keeps a session cookie; if you tick "keep
me signed in", a second cookie keeps you signed in for 30 days. For each session we keep a
description of the browser and when it was last used, so that you can see where you are
signed in and sign out everywhere from your settings. We also note when you were last seen,
and which threads and chat messages you have read, to show you what is new.

**Notifications and moderation.** The notifications we show or mail you; flags members raise
about posts, and what moderators decided; warnings and suspensions; and a record of every
action moderators and admins take, so that their decisions can be checked.

We use no advertising or analytics services, set no tracking cookies and do not sell or
share your data. Pictures in posts must be uploaded to the site itself, so that reading a
post never tells a third party who read it.

## Who can see what

- **Everyone**, signed in or not, can read the public communities: the posts there, with
  their authors' names and organisations, the resource bank and the events list.
- **Signed-in members** can also see profiles, the member directory and members-only
  communities they belong to.
- **Moderators** see the flags and the moderation record of their communities.
- **Admins** see members' email addresses and account details, in order to run the site.

Your email address is never shown to other members.

## Your rights

You can correct your account details at any time in your settings, change or stop your
emails, and sign out of every session. You can also ask the admins for a copy of the data we
keep about you, for it to be corrected, or for your account to be closed and your personal
data removed. They handle such requests by hand and answer within one month.
"""

TERMS = """\
Commons is a professional network. By joining, you agree to these terms. They exist to keep
it a place where people from very different organisations can speak openly and trust what
they read.

## Taking part

1. **Be yourself.** Use your real name and say which organisation you work for. One account
   per person.
2. **Be respectful.** Disagree with ideas, not with people. No harassment, personal attacks,
   discrimination or intimidation, here or in the chat on networking days.
3. **Keep confidences.** Never post personal information about clients, patients, service
   users or colleagues, nor anything your organisation has not cleared to share. Members-only
   communities are private to their members, but they are not secure enough for confidential
   or sensitive data.
4. **Share what you have the right to share.** Submit only resources you wrote, or that you
   are allowed to pass on, and say under which licence. Credit other people's work.
5. **Keep it relevant.** Offers of services and calls for partners are welcome where they
   help the discussion; unsolicited advertising and bulk messages are not.
6. **Advice is advice.** What members write is shared experience, not professional, legal or
   financial advice. Check what matters before you rely on it.

## What you post

You keep the rights to what you write and upload. By posting it, you allow the network to
show it on Commons, in its emails and in its feeds, and to keep it in the network's archive.

## Moderation

Each community's moderators, and the site's admins, may edit a post (saying why, beside it),
hide or delete posts and resources, mute someone in a chat, warn a member, or suspend a
member from a community or from the whole site, when these terms are broken. Every such
action is recorded. If you think a decision was wrong, write to the admins.

If you see something that breaks these terms, use the **Flag** button beside it: it goes
straight to the moderators' queue.

## Changes

The admins may update these terms; the page's history shows every change. If a change
matters to how you use the site, they will tell members in an announcement first.
"""

CONTACT = """\
Commons is run by volunteers from the network's member organisations. Here is how to reach
the right people.

- **About a post, a chat message or a member's behaviour:** use the **Flag** button beside
  it. It goes straight to the moderators' queue, and you can add a note for them.
- **About a community** (its discussions, its resource bank or its events): ask its
  moderators. They are listed on the community's *Members* page.
- **About your account, your data or the site itself:** write to the site's admins, for
  example to ask for a copy of your data or to close your account (see
  [Privacy](/pages/privacy)), to add your organisation to the list, to suggest a new
  community, or to report something that does not work.
- **A security problem:** tell the admins privately and do not post it on the site.
"""

PAGES: tuple[tuple[str, str, str], ...] = (
    ("about", "About Commons", ABOUT),
    ("privacy", "Privacy", PRIVACY),
    ("terms", "Terms of use", TERMS),
    ("contact", "Contact", CONTACT),
)
