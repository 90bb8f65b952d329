"""A believable demo organisation on the Product Management ladder, for trying the app,
with a promotion round waiting for the committee.

Running it again creates nothing new, quickly: the people are made once (and their
passwords hashed once), and the round once (it is known by its creator, the demo HR
sign-in). The demo people's email addresses are on a domain no company has, and seeding
sends no email: the notifications of the changes it makes are suppressed.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from assessments import access, evidence, notifications, reviews, services
from assessments.models import Employee, Evidence, Review
from levels import services as ladder_services
from levels.models import Expectation
from rounds import selectors as round_selectors
from rounds import services as round_services
from rounds.models import Nomination, Round

DEMO_PASSWORD = "demo-ladder-2026"
# Reserved for testing (RFC 2606): nobody's real address, so no people file matches it.
DOMAIN = "demo.pm-ladder.test"
# The demo's domain before, moved to DOMAIN when the demo is seeded again.
OLD_DOMAIN = "example.com"

# (sign-in, full name, job title, manager's sign-in, track, [(level, months ago), ...]).
# The level list is the person's history, oldest first; the last one is current.
ORG = [
    ("morgan", "Morgan Achebe", "Chief Product Officer", None, "management", [("vp", 40), ("cpo", 14)]),
    ("sam", "Sam Rivera", "VP of Product", "morgan", "management", [("director", 30), ("vp", 9)]),
    ("noor", "Noor Haddad", "Distinguished Product Manager", "morgan", "ic", [("principal-pm", 36), ("distinguished-pm", 11)]),
    ("director", "Alex Chen", "Director of Product, Growth", "sam", "management", [("pm-manager", 28), ("director", 10)]),
    ("taylor", "Taylor Brooks", "Director of Product, Platform", "sam", "management", [("director", 20)]),
    ("kenji", "Kenji Watanabe", "Staff Product Manager", "sam", "ic", [("senior-pm", 30), ("staff-pm", 8)]),
    ("manager", "Jordan Patel", "Product Manager Manager, Onboarding", "director", "management", [("senior-pm", 26), ("pm-manager", 11)]),
    ("casey", "Casey Kim", "Product Manager Manager, Payments", "director", "management", [("pm-manager", 18)]),
    ("ines", "Inês Carvalho", "Senior Product Manager, Pricing", "director", "ic", [("pm", 30), ("senior-pm", 7)]),
    ("dana", "Dana Okafor", "Product Manager Manager, APIs", "taylor", "management", [("pm-manager", 15)]),
    ("lars", "Lars Nilsson", "Product Manager Manager, Data", "taylor", "management", [("senior-pm", 24), ("pm-manager", 5)]),
    ("amara", "Amara Singh", "Principal Product Manager", "taylor", "ic", [("staff-pm", 26), ("principal-pm", 10)]),
    ("ruth", "Ruth Mendel", "Staff Product Manager", "taylor", "ic", [("staff-pm", 30)]),
    # Jordan's team (the demo manager).
    ("pm", "Priya Shah", "Product Manager, Sign-up", "manager", "ic", [("apm", 26), ("pm", 11)]),
    ("tom", "Tom Becker", "Senior Product Manager, Activation", "manager", "ic", [("pm", 22), ("senior-pm", 6)]),
    ("lea", "Léa Dubois", "Product Manager, Identity", "manager", "ic", [("pm", 14)]),
    ("omar", "Omar Farouk", "Associate Product Manager", "manager", "ic", [("apm", 8)]),
    ("grace", "Grace Liu", "Associate Product Manager", "manager", "ic", [("apm", 3)]),
    ("mateo", "Mateo Ruiz", "Product Manager, Lifecycle", "manager", "ic", [("apm", 20), ("pm", 4)]),
    # Casey's team.
    ("hana", "Hana Yoshida", "Senior Product Manager, Checkout", "casey", "ic", [("senior-pm", 28)]),
    ("ben", "Ben Adeyemi", "Product Manager, Billing", "casey", "ic", [("pm", 12)]),
    ("sofia", "Sofia Rossi", "Product Manager, Fraud", "casey", "ic", [("apm", 30), ("pm", 10)]),
    ("kwame", "Kwame Mensah", "Associate Product Manager", "casey", "ic", [("apm", 6)]),
    ("elin", "Elin Berg", "Product Manager, Payouts", "casey", "ic", [("senior-pm", 22), ("pm", 5)]),
    ("raj", "Raj Malhotra", "Senior Product Manager, Risk", "casey", "ic", [("pm", 34), ("senior-pm", 12)]),
    # Dana's team.
    ("zoe", "Zoe Martin", "Senior Product Manager, Public API", "dana", "ic", [("senior-pm", 13)]),
    ("yusuf", "Yusuf Demir", "Product Manager, SDKs", "dana", "ic", [("pm", 27)]),
    ("mia", "Mia Schneider", "Product Manager, Webhooks", "dana", "ic", [("apm", 18), ("pm", 5)]),
    ("leo", "Leo Novak", "Associate Product Manager", "dana", "ic", [("apm", 11)]),
    ("aisha", "Aisha Bello", "Senior Product Manager, Developer Experience", "dana", "ic", [("senior-pm", 25)]),
    # Lars's team.
    ("freya", "Freya Hansen", "Senior Product Manager, Analytics", "lars", "ic", [("pm", 20), ("senior-pm", 3)]),
    ("diego", "Diego Alvarez", "Product Manager, Reporting", "lars", "ic", [("pm", 7)]),
    ("chloe", "Chloé Laurent", "Product Manager, Data Platform", "lars", "ic", [("pm", 15)]),
    ("ivan", "Ivan Petrov", "Associate Product Manager", "lars", "ic", [("apm", 2)]),
    ("nina", "Nina Kowalski", "Product Manager, Experimentation", "lars", "ic", [("apm", 27), ("pm", 12)]),
    # Individual contributors reporting to directors.
    ("oscar", "Oscar Lindqvist", "Senior Product Manager, Mobile", "director", "ic", [("senior-pm", 26)]),
    ("maya", "Maya Cohen", "Product Manager, Search", "taylor", "ic", [("pm", 5)]),
    ("felix", "Felix Wagner", "Staff Product Manager, Infrastructure", "director", "ic", [("senior-pm", 28), ("staff-pm", 2)]),
]  # fmt: skip

SIGN_INS = [
    ("hr", "HR: sees everyone, edits the ladder in the admin, runs promotion rounds"),
    ("director", "Alex Chen, Director over two PM Managers and their teams; on the committee"),
    ("manager", "Jordan Patel, PM Manager with six reports"),
    ("pm", "Priya Shah, Product Manager on Jordan's team"),
]

# The promotion round: three people put forward for Senior PM, one the evidence shows
# ready, one getting close, one not yet. Evidence about the next level, one line per
# Senior PM expectation in the ladder's order (None: nothing recorded for it), with the
# days ago it was seen and the promotion criteria it supports.
NEXT_LEVEL_EVIDENCE = {
    # Léa: 14 of the 16 expectations, over eight months: Ready.
    "lea": ("manager", [
        (205, "Owns sign-in and account recovery end to end; the recovery redesign halved lost-account tickets, about €40k a quarter in support time.", ["Impact"]),
        (180, "Wrote the three-quarter identity roadmap (passkeys, team SSO, recovery); engineering and security signed it off without rework.", ["Scope"]),
        (150, "Brought security, legal and support to one account-recovery policy after two earlier attempts had stalled.", ["Influence"]),
        (120, "Took passkey sign-in from discovery to general release in nine weeks, through a beta with 2,000 users.", ["Scope"]),
        None,
        (80, "Mentors Grace every week; Grace now runs her own discovery interviews.", []),
        (262, "Her memo on making sign-in invisible is the strategy the identity and onboarding squads now plan against.", ["Scope"]),
        (90, "Presented the passkey results to the leadership team in five minutes and one slide; the format is now the squads' standard.", ["Visibility"]),
        (75, "Kept enterprise sales, security and two engineering squads aligned through the SSO launch; no date slipped.", ["Influence"]),
        (60, "Built the case for SSO on team plans from win/loss data; it went into the next pricing change.", ["Impact"]),
        (45, "Proposed a shared experiment review; all four squads under Jordan and Casey use it now.", ["Influence"]),
        (35, "Ran two workshops on writing problem statements for the Growth PMs; the PRD template follows them.", []),
        (28, "Passkeys cut failed sign-ins by 38%; mobile weekly active users rose 6% in the quarter after launch.", ["Impact", "Consistency"]),
        (21, "Led the response to a credential-stuffing spike: priorities for three teams set within a day, no account taken over.", ["Consistency"]),
        (14, "Other squads bring their authentication questions to her first; new PMs read her identity guide in their first week.", ["Visibility", "Consistency"]),
        None,
    ]),
    # Sofia: 9 of the 16, over four months: Getting close.
    "sofia": ("casey", [
        (125, "Owns the card-fraud rules; chargeback losses are down 22% over the last quarter.", ["Impact"]),
        (110, "Wrote the two-quarter roadmap for fraud tooling and got Risk and Payments to commit to it.", ["Scope"]),
        None,
        None,
        None,
        (95, "Brought Kwame into the payments domain; he now runs the weekly fraud review on his own.", ["Influence"]),
        None,
        (70, "Her one-page fraud report is what the VP reads before each monthly business review.", ["Visibility"]),
        (55, "Got Risk, Finance and Support to agree one threshold for manual reviews, after a quarter of back-and-forth.", ["Influence"]),
        (40, "Modelled false declines against fraud losses; the new thresholds win back about €180k in sales a month.", ["Impact"]),
        None,
        None,
        (25, "False declines at checkout fell from 3.1% to 1.9%, the largest conversion gain in Payments this year.", ["Impact"]),
        (12, "Led the response to a weekend card-testing attack: new rules live within four hours, no merchant payout held.", []),
        (6, "Sales bring her into enterprise deals whenever fraud liability comes up.", ["Visibility"]),
        None,
    ]),
}  # fmt: skip

# (sign-in, nominated by, {criterion: case}): Léa is ready, Sofia getting close, Priya not
# yet (her manager wants the committee's view of what is missing).
NOMINATIONS = [
    ("lea", "manager", {
        "Impact": "Passkeys cut failed sign-ins by 38% and lifted mobile weekly actives by 6%; the recovery redesign halved lost-account tickets.",
        "Scope": "Owns the whole identity area, sign-in, recovery and SSO, across two engineering squads and security, rather than single features.",
        "Influence": "Security, legal and support now work from the recovery policy she brought them to; four squads adopted her experiment review.",
        "Visibility": "Presented the passkey launch to the leadership team; her results format is now the squads' standard.",
        "Consistency": "Eight months of Senior PM work, with evidence against 14 of the 16 expectations spread over the whole period.",
    }),
    ("sofia", "casey", {
        "Impact": "Chargeback losses down 22%, false declines at checkout down from 3.1% to 1.9%: about €180k in sales a month.",
        "Scope": "Turned a set of hand-tuned fraud rules into a product line with its own roadmap, shared by Risk and Payments.",
        "Influence": "Got Risk, Finance and Support to agree one manual-review threshold; Kwame runs the weekly fraud review after her coaching.",
        "Visibility": "Her monthly fraud report goes to the VP before each business review; sales ask for her in enterprise deals.",
        "Consistency": "About four months of Senior PM work so far, steady throughout; we put her forward now so the committee sees the trend.",
    }),
    ("pm", "manager", {
        "Impact": "The redesigned sign-up flow took completion from 61% to 74%, the largest gain on the onboarding funnel this year.",
        "Scope": "Moved from single features to the whole sign-up journey, and drafted its multi-quarter roadmap.",
        "Influence": "Runs the squad's quarterly planning and keeps scope to what ships; stakeholder updates to Payments are her next step.",
        "Visibility": "Presented the sign-up A/B test to the product review herself.",
        "Consistency": "Two strong quarters, mostly still at PM level: we nominate to get the committee's view of what is missing.",
    }),
]  # fmt: skip

ENDORSEMENT = (
    "lea",
    "director",
    "I have watched Léa run identity for most of the year: she already works the way our "
    "Senior PMs do, and the security team asks for her by name.",
)

# The decision recorded before HR takes over: (sign-in, decided by, decision, rationale,
# feedback for the person, committee notes).
DECISION = (
    "lea",
    "sam",
    Nomination.Decision.PROMOTE,
    "Ready against the Senior PM expectations: 14 of 16 shown over eight months, with "
    "measured impact from passkeys and the recovery redesign.",
    "Congratulations: the committee saw eight months of Senior PM work, from passkeys to the "
    "recovery policy. Next: take part in decisions beyond identity, such as the company-wide "
    "sign-in strategy; that is where Staff PM begins.",
    "Alex endorsed. Sam checked the mobile figures with the data team. No concerns raised.",
)


def months_ago(months, today):
    return today - datetime.timedelta(days=round(months * 30.4))


class Command(BaseCommand):
    help = "Create a demo organisation with demo sign-ins (development only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo creates known passwords; it runs only with DEBUG=1.")
        with notifications.suppressed():
            self.seed()

    def seed(self):
        ladder = ladder_services.load_default_ladder().ladder
        with transaction.atomic():
            created = self.create_org(ladder)
            hr = self.create_hr()
        if created:
            self.stdout.write(
                self.style.SUCCESS(f"Created a demo organisation of {len(ORG)} people.")
            )
        else:
            self.stdout.write("The demo organisation is already there.")
        with transaction.atomic():
            round, round_created = self.create_round(ladder, hr)
        if round is not None:
            self.report_round(round, round_created)
        self.stdout.write(self.style.SUCCESS("Demo sign-ins (development only):"))
        for username, who in SIGN_INS:
            self.stdout.write(f"  {username:<8} password {DEMO_PASSWORD}  ({who})")

    def user(self, username, full_name, **extra):
        """The demo sign-in `username`; a new one gets the demo password, an existing one
        keeps its password (hashing is slow on purpose: 39 of them took half a minute)."""
        first, _, last = full_name.partition(" ")
        user, created = get_user_model().objects.update_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@{DOMAIN}",
                **extra,
            },
        )
        if created or not user.has_usable_password():
            user.password = self.demo_password()
            user.save(update_fields=["password"])
        return user

    def demo_password(self):
        """The demo password, hashed once per run: every demo sign-in shares it."""
        if not hasattr(self, "_demo_password"):
            self._demo_password = make_password(DEMO_PASSWORD)
        return self._demo_password

    def create_hr(self):
        hr = self.user("hr", "Hilde Romero", is_staff=True)
        hr.groups.add(services.ensure_hr_group())
        return hr

    def create_org(self, ladder):
        if Employee.objects.filter(user__username=ORG[0][0]).exists():
            self.move_to_demo_domain()
            for username, full_name, *_ in ORG:
                self.user(username, full_name)
            return False
        today = timezone.localdate()
        levels = {level.key: level for level in ladder.levels.all()}
        tracks = {track.key: track for track in ladder.tracks.all()}
        people = {}
        for username, full_name, title, manager, track_key, history in ORG:
            track = tracks[track_key]
            (first_level, first_months), *later = history
            employee = services.place_employee(
                full_name=full_name,
                email=f"{username}@{DOMAIN}",
                ladder=ladder,
                track=track,
                level=levels[first_level],
                effective_on=months_ago(first_months, today),
                job_title=title,
                manager=people.get(manager),
                user=self.user(username, full_name),
            )
            for level_key, months in later:
                self.assign(employee, levels[level_key], track, months_ago(months, today), people)
            people[username] = employee
        self.create_evidence(people, today)
        return True

    def move_to_demo_domain(self):
        """A demo seeded before its domain changed: its people move to the new domain
        (people whose address someone has changed since are left alone)."""
        for username, *_ in ORG:
            Employee.objects.filter(
                user__username=username, email=f"{username}@{OLD_DOMAIN}"
            ).update(email=f"{username}@{DOMAIN}")

    def create_evidence(self, people, today):
        """Evidence about Jordan's team, over the last eight months: some against the
        current level, some against the next, a growth note shared with Priya (what to
        work on), a private note (a concern, for her managers) and one win to confirm."""
        manager = people["manager"].user
        notes = [
            "Shipped the redesigned sign-up flow; completion rose from 61% to 74%.",
            "Ran the quarterly planning for the squad and kept scope to what shipped.",
            "Wrote the pricing-page PRD; engineering started with no open questions.",
            "Presented the activation results to the leadership team, clearly and briefly.",
            "Coached Omar through his first user-research round.",
            "Untangled the dependency on the payments team before it blocked the launch.",
        ]
        for offset, username in enumerate(["pm", "tom", "lea", "omar", "grace", "mateo"]):
            person = people[username]
            expectations = list(
                Expectation.objects.active()
                .filter(level=person.level)
                .order_by("category__position", "position")
            )
            for n in range(2 + offset % 3):
                evidence.record_evidence(
                    employee=person,
                    expectation=expectations[(n * 4 + offset) % len(expectations)],
                    by=manager,
                    observed_on=today - datetime.timedelta(days=20 + n * 65 + offset * 3),
                    description=notes[(n + offset) % len(notes)],
                    visibility=Evidence.Visibility.SHARED,
                )
        priya = people["pm"]
        evidence.record_evidence(
            employee=priya,
            expectation=Expectation.objects.filter(
                level__key="senior-pm", level__ladder=priya.ladder
            )
            .order_by("category__position", "position")
            .first(),
            by=manager,
            observed_on=today - datetime.timedelta(days=40),
            description="Drafted the multi-quarter roadmap for sign-up; already thinking like a Senior PM.",
            visibility=Evidence.Visibility.SHARED,
        )
        current = list(
            Expectation.objects.active()
            .filter(level=priya.level)
            .order_by("category__position", "position")
        )
        stakeholders = next((e for e in current if "stakeholder" in e.text.lower()), current[-1])
        evidence.record_evidence(
            employee=priya,
            expectation=stakeholders,
            by=manager,
            observed_on=today - datetime.timedelta(days=12),
            description="Private: needs support on stakeholder updates before a promotion case.",
            visibility=Evidence.Visibility.PRIVATE,
            kind=Evidence.Kind.GROWTH,
        )
        evidence.record_evidence(
            employee=priya,
            expectation=stakeholders,
            by=manager,
            observed_on=today - datetime.timedelta(days=9),
            description="Stakeholder updates reach the payments team after decisions are made. "
            "Next: a short written update every Thursday, before the weekly review.",
            visibility=Evidence.Visibility.SHARED,
            kind=Evidence.Kind.GROWTH,
        )
        self.create_review(people["tom"], manager)
        evidence.log_win(
            employee=priya,
            expectation=Expectation.objects.filter(level=priya.level).order_by("position").first(),
            by=priya.user,
            observed_on=today - datetime.timedelta(days=2),
            description="Led the sign-up A/B test end to end and presented the results.",
        )

    def create_review(self, person, manager):
        """A shared review of Tom against his current level, for him to acknowledge."""
        review = reviews.start_review(employee=person, target_level=person.level, by=manager)
        scale = ["meets", "meets", "exceeds", "developing"]
        ratings = {
            rating.pk: (scale[n % len(scale)], "Seen in the activation work this half.")
            for n, rating in enumerate(review.ratings.all())
        }
        review = reviews.save_review(
            review=review,
            ratings=ratings,
            readiness=Review.Readiness.DEVELOPING,
            summary="Tom works at Senior PM level on activation. Next: set direction beyond "
            "his own squad and bring stakeholders along earlier.",
            version=review.version,
            by=manager,
        )
        reviews.share_review(review=review, by=manager)

    def assign(self, employee, level, track, effective_on, people):
        manager = employee.manager
        promoted = level.grade > employee.level.grade
        services.assign_level(
            employee=employee,
            level=level,
            track=track,
            effective_on=effective_on,
            by=manager.user if manager else None,
            rationale=(
                "Consistently working at the next level; promoted at the review cycle."
                if promoted
                else "Moved to a smaller scope at their own request, to focus on payouts."
            ),
        )

    # The promotion round -------------------------------------------------------------------

    def create_round(self, ladder, hr):
        """A round in calibration, made through the rounds' services as a real one would
        be: HR opens it, managers nominate, a skip-level endorses, HR closes nominations
        (freezing the packets) and one committee member decides. Every date is today, so
        that HR can finalise it today. Returns (the round, whether it was made now)."""
        existing = Round.objects.filter(created_by=hr).order_by("-created_at", "-id").first()
        if existing is not None:
            return existing, False
        usernames = {name for nominee, nominator, _ in NOMINATIONS for name in (nominee, nominator)}
        usernames |= {author for author, _ in NEXT_LEVEL_EVIDENCE.values()}
        usernames |= {ENDORSEMENT[1], DECISION[1]}
        people = {
            person.user.username: person
            for person in Employee.objects.filter(
                user__username__in=usernames, is_active=True
            ).select_related("user", "ladder", "level", "track", "manager")
        }
        if set(people) != usernames:
            self.stdout.write("Some demo people have changed or left: no promotion round added.")
            return None, False
        today = round_selectors.today()
        self.create_next_level_evidence(people, today)
        round = round_services.create_round(
            by=hr,
            name=f"H{1 if today.month <= 6 else 2} {today.year} promotions",
            nomination_deadline=today,
            calibration_on=today,
            effective_on=today,
            ladders=[ladder],
            committee=round_selectors.default_committee(ladders=[ladder]),
            self_nomination=False,
        )
        round = round_services.open_nominations(round=round, by=hr)
        nominations = {}
        for username, nominator, cases in NOMINATIONS:
            person = people[username]
            target = round_selectors.targets_for(person)[0]
            nominations[username] = round_services.nominate(
                round=round,
                employee=person,
                target_level=target.level,
                target_track=target.track,
                cases={
                    criterion.pk: cases.get(criterion.name, "The evidence in the packet.")
                    for criterion in person.ladder.promotion_criteria.all()
                },
                by=people[nominator].user,
            )
        username, endorser, text = ENDORSEMENT
        round_services.endorse(
            nomination=nominations[username], by=people[endorser].user, text=text
        )
        round = round_services.close_nominations(round=round, by=hr)
        username, by, decision, rationale, feedback, discussion = DECISION
        round_services.decide(
            nomination=nominations[username],
            by=people[by].user,
            decision=decision,
            rationale=rationale,
            feedback=feedback,
            discussion=discussion,
        )
        return round, True

    def create_next_level_evidence(self, people, today):
        """Shared evidence against the next level (`NEXT_LEVEL_EVIDENCE`), unless the
        person already has some there."""
        for username, (author, entries) in NEXT_LEVEL_EVIDENCE.items():
            person = people[username]
            level = round_selectors.targets_for(person)[0].level
            if (
                Evidence.objects.counted()
                .filter(employee=person, expectation__level=level)
                .exists()
            ):
                continue
            criteria = {c.name: c for c in person.ladder.promotion_criteria.all()}
            expectations = (
                Expectation.objects.active()
                .filter(level=level)
                .order_by("category__position", "position", "id")
            )
            for expectation, entry in zip(expectations, entries, strict=False):
                if entry is None:
                    continue
                days, description, criteria_names = entry
                evidence.record_evidence(
                    employee=person,
                    expectation=expectation,
                    by=people[author].user,
                    observed_on=today - datetime.timedelta(days=days),
                    description=description,
                    visibility=Evidence.Visibility.SHARED,
                    criteria=[criteria[name] for name in criteria_names if name in criteria],
                )

    def report_round(self, round, created):
        """What the round holds, and which demo sign-ins calibrate it."""
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created the promotion round “{round}”:"))
        else:
            self.stdout.write(f"The promotion round “{round}” is already there:")
        link = settings.SITE_URL.rstrip("/") + round.get_absolute_url()
        self.stdout.write(f"  {round.get_state_display()}, at {link}")
        nominations = round.nominations.select_related("employee", "target_level")
        for nomination in nominations:
            packet = nomination.snapshot or {}
            label = packet.get("readiness", {}).get("label", "")
            decision = nomination.get_decision_display().lower() or "not decided yet"
            self.stdout.write(
                f"  {nomination.employee} for {nomination.target_level}"
                + (f" ({label})" if label else "")
                + f": {decision}"
            )
        users = get_user_model().objects.in_bulk(
            [username for username, _ in SIGN_INS], field_name="username"
        )
        on_committee = [
            username
            for username, _ in SIGN_INS
            if username in users and access.on_committee(users[username], round)
        ]
        self.stdout.write(
            f"  Committee among the demo sign-ins: {', '.join(on_committee)} "
            "(sign in as hr to decide the rest and finalise it)."
        )
