"""Reading a customer's words as an advisor does: places, money, negation, languages, evidence,
and saying plainly when we did not understand. Each row is a general behaviour, not a case
tuned for; the labelled sets (``referral eval``) measure how well the mechanism generalises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referral_api.domain import Catalog, Constraints, Need, PriceModel, Rules
from referral_api.matching import Engine
from referral_api.matching.language import detect_language
from referral_api.matching.places import PlaceKind, gazetteer


@pytest.fixture(scope="module")
def engine(demo_catalog: Catalog, rules: Rules) -> Engine:
    return Engine(demo_catalog, rules)


class TestPlaces:
    """Cities, states, provinces, codes and foreign names map to the customer's country."""

    @pytest.mark.parametrize(
        ("text", "region"),
        [
            ("payroll for my 5 staff in Texas", "US"),
            ("bakery in Munich, need bookkeeping", "DE"),
            ("We're based in Lyon and need invoicing", "FR"),
            ("Electrician in Perth WA, invoices from my phone", "AU"),
            ("dentist in Columbus, Ohio needs patient billing", "US"),
            ("Two-lawyer firm in London, Ontario. We need trust accounting", "CA"),  # pair
            ("Landscaping company in Portland, Maine, we run payroll", "US"),
            ("New Jersey bakery, need payroll", "US"),  # not Jersey
            ("Care home in Kent, 35 staff. We need payroll", "GB"),  # a county
            ("Shipyard in Norfolk, Virginia needs payroll", "US"),  # the state decides
            ("Somos una tienda en México y necesitamos facturación", "MX"),
            ("Wir sind in Deutschland und suchen eine Buchhaltung", "DE"),
            # "hire" in a compound hires nobody out of that place
            ("Ski-hire shop in Nelson, NZ, 10 seasonal staff. Need payroll.", "NZ"),
            # in lower case, a country before what the business is
            ("havent done my books since march, need sum1 to catch up. us llc", "US"),
            ("we're a uk ltd, need payroll", "GB"),
            # the customer opens by saying what they are
            ("Machine parts supplier in Germany; customers pay late. Need invoicing.", "DE"),
            ("UK supplier to a big retailer, we need invoice finance", "GB"),
            # "living in" said of the customer
            ("I'm a freelance designer living in Germany and need e-invoicing", "DE"),
            (
                "Living in Galway, Ireland. I traded coins last year and need my tax worked out",
                "IE",
            ),
            # a capitalised word after a place's name carries the name on: not Cameroon's West
            ("Florist in Leeds, West Yorkshire. We need invoicing", "GB"),
            # a place after another clause starts anew, even after someone else's
            ("We pay our freelance devs in India every month, US company", "US"),
            # a state's code that is also the code of a country we do not serve is the state
            ("can i take crypto on my merch site? based in LA", "US"),
            ("payroll for my bakery in PA", "US"),
            # "aus" is Australia in English, "from" in German
            ("lookin 4 a biz acct in aus w no monthly fees", "AU"),
            ("Wir kommen aus Österreich und brauchen eine Lohnverrechnung", "AT"),
            # what the customer is, said at a sentence's start or after "I'm a"
            ("I'm a web developer in Raleigh, North Carolina, and need a CPA", "US"),
            ("Need a CPA to check my S-corp. Web developer in Raleigh, North Carolina.", "US"),
            ("payroll for our team in DE", "DE"),  # a country we serve stays a country
            # "family" qualifying the business is no family of someone else's
            ("Family bakery in Cork. The old till died, we need a new one.", "IE"),
            ("Hi all, we're a family pub in Ireland with four part-time staff", "IE"),
            # a country's name in its own language, in any case
            ("bookkeping for my AB here in sverige, any1?", "SE"),
            ("we're a shop in Polska and need invoicing", "PL"),
            # a big place's name misspelt right after a place cue
            ("gst retrun for my cafe in melborne due soon plz help", "AU"),
            ("payroll for my barbershop in sydeny", "AU"),
            # a world city is named so even in lower case, however common its name is
            ("need sum1 to do my tax returns. london, graphic designer", "GB"),
            # a hyphenated "non-" negates no place
            ("I manage a non-profit daycare in Canada with nine educators. We need payroll.", "CA"),
        ],
    )
    def test_the_customer_is_where_they_say(self, engine: Engine, text: str, region: str) -> None:
        assert engine.interpret(Need(text)).constraints.region == region

    @pytest.mark.parametrize(
        "text",
        [
            "payroll for my shop in qwzrtx",  # near no place's name
            "sydeny bakery needs payroll",  # no place cue before it: a slip of something else
        ],
    )
    def test_a_word_near_no_single_place_names_none(self, engine: Engine, text: str) -> None:
        assert engine.interpret(Need(text)).constraints.region is None

    @pytest.mark.parametrize(
        ("text", "region"),
        [
            ("We pay a supplier in Vietnam and need invoicing, we're in Germany", "DE"),
            (
                "Importiamo ceramiche dalla Cina; ci serve pagare i fornitori. Azienda a Firenze.",
                "IT",
            ),
            ("US startup hiring one engineer in Poland, need an employer of record", "US"),
            ("Ontario daycare needs payroll. I know Ledgerly Payroll is US-only.", "CA"),
            ("Our customers are in Texas but we're a small agency in Cardiff, invoicing", "GB"),
            ("My family lives in Spain; I need payroll for my shop in Leeds", "GB"),
            # private customers are someone else, in every language
            (
                "Vendiamo olio online a privati in Germania e Francia dalla nostra azienda "
                "in Puglia. Dobbiamo gestire l'IVA OSS.",
                "IT",
            ),
            ("Wir verkaufen an Privatkunden in Frankreich, unsere Firma sitzt in Köln.", "DE"),
            ("Our family business in Lyon pays a supplier in Vietnam, invoicing", "FR"),
            # a list of someone else's places goes on past a comma
            (
                "Olá from Porto! Most of our students are tourists from Germany, the UK and "
                "the States. We want them paying by card on the website.",
                "PT",
            ),
            # a sentence's end ends the list, and two places in two sentences are not one
            ("We import from China. US company here, need AP software", "US"),
        ],
    )
    def test_other_parties_places_are_not_the_customers(
        self, engine: Engine, text: str, region: str
    ) -> None:
        assert engine.interpret(Need(text)).constraints.region == region

    @pytest.mark.parametrize(
        ("text", "region"),
        [
            ("card payments for my food truck in TX", "US"),
            ("card payments for my food truck in tx", "US"),
            ("payroll for my bakery based in nsw", "AU"),
            ("we need payroll for a US company with 5 staff", "US"),
            ("Looking for a DJ for our party", None),  # not Djibouti
            ("Importer in Leeds; our supplier bills us in US dollars", "GB"),  # a currency
            ("We get paid in Australian dollars but we're based in Toronto", "CA"),
            ("wtf is a BAS n how do i lodge it?? just went gst registered, sydney", "AU"),
            ("hw do i take card pymnts on my iphone at the flea market?? chicago", "US"),
            ("need sumthing 2 run payrol 4 my 6 guys, ontario", "CA"),  # all lower case
            ("havent done my books since like march 2024, need sum1", None),  # a month
            ("Soy fontanero autónomo en Zaragoza y necesito facturas", "ES"),  # not an alias
            ("Wij zijn een kwekerij in het Westland en willen facturen via Peppol", None),
            ("Dutch IT consultancy, 8 people, looking for BTW returns", "NL"),  # IT: a word
            ("I run a van in Australia and customers keep asking to pay by card", "AU"),
            ("Family construction company in the United States, need job costing", "US"),
            ("payroll for the shop, in me opinion it's urgent", None),  # an everyday word
        ],
    )
    def test_state_codes_after_a_place_cue(
        self, engine: Engine, text: str, region: str | None
    ) -> None:
        assert engine.interpret(Need(text)).constraints.region == region

    def test_a_small_place_in_lower_case_needs_a_cue(self, engine: Engine) -> None:
        """In a need written all in lower case, "wedding" (a district of Berlin) is a
        wedding; a big city is still read ("portland shop")."""
        assert engine.interpret(Need("help me write a wedding speech")).constraints.region is None
        assert engine.interpret(Need("need payroll, portland shop")).constraints.region == "US"

    def test_us_the_pronoun_is_no_country(self, engine: Engine) -> None:
        for text in ("can you give us business banking", "help us find payroll software"):
            assert engine.interpret(Need(text)).constraints.region is None

    def test_a_place_read_can_be_disregarded(self, engine: Engine) -> None:
        """An advocate takes out a place read wrongly; the engine (so every door: API,
        console, command line) then reads the words as if they did not state it."""
        text = "Payroll for my 5 staff in Georgia"
        assert engine.interpret(Need(text)).constraints.region is not None
        ignored = engine.interpret(Need(text, ignore=("region",)))
        assert ignored.constraints.region is None
        assert any(s.name == "region" and s.overridden for s in ignored.stated)

    def test_a_place_stated_is_a_must_have(self, engine: Engine) -> None:
        constraints = engine.interpret(Need("payroll for our bakery in Leeds")).constraints
        assert constraints.region == "GB"
        assert not constraints.is_soft("region")

    def test_languages_translated_from_and_into_are_no_places(self, engine: Engine) -> None:
        constraints = engine.interpret(
            Need("We need our annual report translated from Japanese into English")
        ).constraints
        assert constraints.region is None
        assert set(constraints.languages) == {"ja", "en"}

    @pytest.mark.parametrize("text", ["a nice invoicing app", "mobile invoicing for reading"])
    def test_everyday_words_are_not_towns(self, engine: Engine, text: str) -> None:
        assert engine.interpret(Need(text)).constraints.region is None

    def test_gazetteer_knows_names_in_other_languages(self) -> None:
        for name, country in [("deutschland", "DE"), ("brasil", "BR"), ("espana", "ES")]:
            _, candidates = gazetteer().at([name], 0)
            assert any(p.country == country and p.kind is PlaceKind.COUNTRY for p in candidates)


class TestMoney:
    """A budget is told from other amounts; any size is read, never an error."""

    @pytest.mark.parametrize(
        ("text", "budget", "currency"),
        [
            ("payroll software, I can do 50 bucks CAD a month", 50.0, "CAD"),  # code after
            ("Vancouver cafe, need a POS under $60/month", 60.0, "CAD"),  # local dollar
            ("budget is 300 000 $ per year for accounting, US company", 25000.0, "USD"),
            ("invoicing under €1.200,50 a month", 1200.5, "EUR"),
            ("bookkeeping, max 2k a month, US firm", None, None),  # no currency: no amount
            ("accounting app, max $40 of spend", 40.0, "USD"),  # "of" a budget word
            ("Handyman: $25 monthly is my limit for invoicing", 25.0, "USD"),  # period right after
        ],
    )
    def test_budget(
        self, engine: Engine, text: str, budget: float | None, currency: str | None
    ) -> None:
        constraints = engine.interpret(Need(text)).constraints
        assert constraints.budget_monthly == budget
        assert constraints.currency == currency

    @pytest.mark.parametrize(
        "text",
        [
            "Looking to borrow about $80,000 for a second location of our US pizza place",
            "we do around $60k a month in sales and need bookkeeping",
            "Currently paying $25 a month for card processing, want something better",
            "Her salary will be around €4,000 a month; we need payroll",
            # what a thing is worth ("of", "in" right after the amount)
            "Sawmill in Quebec. We need to lease a new debarker, roughly C$400k of machinery.",
            "we have $3k in unpaid invoices and want invoicing that chases them",
            "Nail salon in the US, about $40k a month on cards. Need a cash advance.",
            # what the team spends is no budget for the tool
            "We want company cards with per-person limits. Monthly team spend is around $25k.",
        ],
    )
    def test_other_amounts_are_not_budgets(self, engine: Engine, text: str) -> None:
        assert engine.interpret(Need(text)).constraints.budget_monthly is None

    def test_an_amount_of_any_size_is_clamped(self, engine: Engine) -> None:
        huge = "invoicing under $1" + "0" * 400 + " a month"
        rec = engine.recommend(Need(huge))
        assert rec.interpretation.constraints.budget_monthly == 1e9
        assert all(fit.score >= 0 for fit in rec.results)


class TestNegation:
    @pytest.mark.parametrize(
        "text",
        [
            "I refuse to pay a monthly subscription, need invoicing",
            "no subscription please, bookkeeping for a US shop",
            "sin suscripción, necesito facturación",
        ],
    )
    def test_subscription_is_excluded(self, engine: Engine, text: str) -> None:
        constraints = engine.interpret(Need(text)).constraints
        assert PriceModel.SUBSCRIPTION in constraints.excluded_price_models

    @pytest.mark.parametrize(
        "text",
        [
            "Payroll software must be installed on servers we run in-house; cloud vendors "
            "are banned.",
            "Nothing cloud-hosted please, everything lives on the server in our office. "
            "We send 40 invoices a month.",
        ],
    )
    def test_servers_of_their_own_and_no_cloud(self, engine: Engine, text: str) -> None:
        constraints = engine.interpret(Need(text)).constraints
        assert constraints.platforms == ("self_hosted",)
        assert constraints.excluded_platforms == ("web",)

    @pytest.mark.parametrize(
        "text",
        [
            "I'd like cash now repaid from card takings, rather than a normal bank loan.",
            "We want invoice financing instead of a business loan. Agency in Dublin.",
        ],
    )
    def test_what_they_want_rather_than_is_refused(self, engine: Engine, text: str) -> None:
        asked = {c.id for c in engine.interpret(Need(text)).capabilities}
        assert "business-loans" not in asked

    def test_what_is_not_possible_is_refused(self, engine: Engine) -> None:
        """ "a monthly charge just isn't possible" leaves nothing to pay each month."""
        constraints = engine.interpret(
            Need("I want an iPad till, and a monthly charge just isn't possible for me")
        ).constraints
        assert constraints.budget_monthly == 0
        assert PriceModel.SUBSCRIPTION not in constraints.price_models

    @pytest.mark.parametrize(
        ("text", "capability"),
        [
            ("I refuse to pay a monthly subscription for accounting software", "accounting"),
            ("We cannot pay any monthly fee for bookkeeping software right now", "bookkeeping"),
            ("sin suscripción para la contabilidad de mi tienda", "accounting"),
        ],
    )
    def test_refusing_to_pay_for_a_thing_is_not_refusing_the_thing(
        self, engine: Engine, text: str, capability: str
    ) -> None:
        interpretation = engine.interpret(Need(text))
        assert capability in {c.id for c in interpretation.capabilities if c.central}
        assert not any(s.negated and s.name == "capability" for s in interpretation.stated)

    @pytest.mark.parametrize(
        "text",
        [
            "We cannot pay any monthly fee for bookkeeping software right now",
            "I need a business account in Italy with no monthly fee",
            "vorremmo aprire un conto aziendale online senza canone mensile",
        ],
    )
    def test_no_monthly_fee_is_nothing_to_pay_each_month(self, engine: Engine, text: str) -> None:
        """Refusing a monthly fee is a zero monthly budget: a free plan of a subscription, or
        paying per use, has none; refusing a subscription refuses the price model."""
        constraints = engine.interpret(Need(text)).constraints
        assert constraints.budget_monthly == 0
        assert PriceModel.SUBSCRIPTION not in constraints.excluded_price_models

    def test_a_free_plan_has_no_monthly_fee(self, engine: Engine) -> None:
        rec = engine.recommend(Need("I need a business account in Italy with no monthly fee"))
        assert rec.results
        assert all(fit.offering.price is not None for fit in rec.results)
        assert all(
            fit.offering.price.free_tier or not fit.offering.price.monthly_from
            for fit in rec.results
            if fit.offering.price is not None
        )

    @pytest.mark.parametrize(
        "text",
        [
            "Market stall in Texas, I want to take cards but no transaction fees",
            "Café in Lyon: card payments, pas de frais de transaction",
        ],
    )
    def test_per_transaction_pricing_is_excluded(self, engine: Engine, text: str) -> None:
        constraints = engine.interpret(Need(text)).constraints
        assert PriceModel.USAGE in constraints.excluded_price_models

    def test_a_price_model_s_name_is_an_everyday_word(self, engine: Engine) -> None:
        """ "Quote jobs" asks for quoting, not for offerings priced on quote; a price model
        is named only by the rules' aliases ("request a quote")."""
        rec = engine.recommend(Need("I need to quote jobs and invoice them. Plumber in Leeds."))
        assert rec.interpretation.constraints.price_models == ()
        assert "estimates-quotes" in {c.id for c in rec.interpretation.capabilities}
        assert rec.results
        priced = engine.interpret(Need("an accountant, we'd rather request a quote"))
        assert [m.value for m in priced.constraints.price_models] == ["quote"]

    def test_skipping_is_refusing(self, engine: Engine) -> None:
        interpretation = engine.interpret(
            Need("We're Canadian so please skip the 1099 stuff, we need payroll")
        )
        assert "1099-filing" not in {c.id for c in interpretation.capabilities}

    def test_a_refused_capability_is_not_asked_by_a_vaguer_word(self, engine: Engine) -> None:
        """ "not a loan" refuses loans; "the cash from those invoices" is then no request for
        lending in general."""
        interpretation = engine.interpret(
            Need("Not a loan - I don't want more debt. I just want the cash from those invoices.")
        )
        assert "lending" not in {c.id for c in interpretation.capabilities}

    @pytest.mark.parametrize(
        "text",
        [
            "Android haben wir nicht. Wir brauchen eine Kasse.",
            "Wir brauchen eine Kasse fürs iPad. Android kommt für uns nicht in Frage.",
        ],
    )
    def test_negation_can_follow(self, engine: Engine, text: str) -> None:
        interpretation = engine.interpret(Need(text))
        assert "android" in interpretation.constraints.excluded_platforms
        assert "android" not in interpretation.constraints.platforms

    @pytest.mark.parametrize(
        ("text", "capability"),
        [
            ("I'm tired of doing payroll by hand. Cafe in Leeds, 6 staff.", "payroll"),
            ("sick of chasing late invoices, design studio in Bristol", "payment-reminders"),
            ("Estamos hartos de hacer las nóminas a mano. Bar en Sevilla.", "payroll"),
        ],
    )
    def test_a_complaint_asks_for_what_it_complains_of(
        self, engine: Engine, text: str, capability: str
    ) -> None:
        """ "Tired of doing payroll by hand" is a pain to take away: payroll is asked for."""
        rec = engine.recommend(Need(text))
        assert capability in {c.id for c in rec.interpretation.capabilities if c.central}
        assert rec.results

    def test_what_is_already_handled_is_not_asked(self, engine: Engine) -> None:
        """ "Payroll is fine already; what we need is benefits administration"."""
        asked = {
            c.id
            for c in engine.interpret(
                Need(
                    "Brewery in Ontario, 14 staff. Payroll is fine already; what we need is "
                    "group health benefits administration."
                )
            ).capabilities
        }
        assert "payroll" not in asked
        assert "benefits-administration" in asked
        # what they have already is theirs, not refused
        had = engine.interpret(
            Need(
                "Ice-cream parlour in Galway, we'd like a till on the Android tablets we already have"
            )
        ).constraints
        assert "android" in had.platforms

    def test_a_complaint_refuses_a_constraint(self, engine: Engine) -> None:
        constraints = engine.interpret(
            Need("sick of Windows and no more subscriptions, invoicing on my Mac")
        ).constraints
        assert constraints.excluded_platforms == ("windows",)
        assert PriceModel.SUBSCRIPTION in constraints.excluded_price_models

    def test_what_the_ask_refuses_is_not_what_it_asks(self, engine: Engine) -> None:
        """ "I want them in my books rather than typing them in from PDFs": the refused words
        ("PDFs") are not something else the ask names, so the books are asked for."""
        rec = engine.recommend(
            Need(
                "I just want the transactions to flow into my books automatically rather "
                "than typing them in from PDFs. Dog walker in England."
            )
        )
        assert rec.interpretation.ask_understood
        assert rec.results

    @pytest.mark.parametrize(
        "need",
        [
            "We have three iPads and want a till on them. Nothing Android, please.",
            "Tenemos iPads y buscamos un TPV para la tienda, nada Android.",
        ],
    )
    def test_nothing_refuses_the_very_next_thing(self, engine: Engine, need: str) -> None:
        """ "Nothing Android" refuses Android; "nothing" reaches no further ("nothing on
        Android does this" says nothing against Android)."""
        constraints = engine.interpret(Need(need)).constraints
        assert constraints.excluded_platforms == ("android",)
        assert "android" not in constraints.platforms
        assert "ios" in constraints.platforms
        wider = engine.interpret(Need("I found nothing on Android that does my invoicing"))
        assert "android" not in wider.constraints.excluded_platforms

    def test_negation_reaches_the_rest_of_its_clause(self, engine: Engine) -> None:
        """ "no accountant or bookkeeping service": both are excluded, not only the first."""
        interpretation = engine.interpret(
            Need("I don't want an accountant or a bookkeeping service, I want software for VAT")
        )
        asked = {c.id for c in interpretation.capabilities}
        assert "bookkeeping-service" not in asked
        assert "vat-returns" in asked

    def test_a_dash_ends_a_negation(self, engine: Engine) -> None:
        constraints = engine.interpret(
            Need("No Windows - we're an all-Mac studio, invoicing")
        ).constraints
        assert constraints.excluded_platforms == ("windows",)
        assert "macos" in constraints.platforms


class TestLanguages:
    @pytest.mark.parametrize(
        ("text", "language", "capability"),
        [
            ("Necesitamos un programa de nóminas para 7 empleados en Madrid", "es", "payroll"),
            ("Il nous faut un logiciel de paie pour notre PME à Lyon", "fr", "payroll"),
            ("Wir suchen eine Software für die Lohnabrechnung in Köln", "de", "payroll"),
            ("Precisamos de um sistema de folha de pagamento em Lisboa", "pt", "payroll"),
            ("Cerchiamo un programma per le buste paga a Torino", "it", "payroll"),
            ("Wij zoeken software voor de salarisadministratie in Utrecht", "nl", "payroll"),
            # an elided article is a word of its own: "l'IVA" holds "IVA"
            ("Dobbiamo gestire l'IVA OSS per ogni paese. Azienda a Bari.", "it", "vat-returns"),
            ("Qui peut s'occuper de l'IVA? Nous vendons en Espagne.", "fr", "vat-returns"),
        ],
    )
    def test_reads_the_language_and_its_words(
        self, engine: Engine, text: str, language: str, capability: str
    ) -> None:
        interpretation = engine.interpret(Need(text))
        assert interpretation.language == language
        assert capability in {c.id for c in interpretation.capabilities}

    def test_the_no_of_a_spanish_need_is_not_a_capability(self, engine: Engine) -> None:
        interpretation = engine.interpret(
            Need(
                "quiero un programa de contabilidad para mi tienda en Madrid, que funcione en "
                "Android y que no cueste más de 20 euros al mes"
            )
        )
        constraints = interpretation.constraints
        assert (constraints.region, constraints.platforms) == ("ES", ("android",))
        assert (constraints.budget_monthly, constraints.currency) == (20.0, "EUR")
        assert not any(c.id.startswith("bank") for c in interpretation.capabilities)

    @pytest.mark.parametrize(
        ("text", "asked", "refused"),
        [
            # "sem abrir empresa" asks for an employer of record, not to open a company
            (
                "queremos contratar duas pessoas no Brasil, com contrato local, sem abrir empresa",
                "global-payroll-eor",
                None,
            ),
            ("Queremos abrir una empresa en España", "business-formation", None),
            # the "no" of a phrase ("el banco no cuadra") refuses nothing
            ("el banco no cuadra con la contabilidad", "reconciliation", None),
        ],
    )
    def test_a_negation_inside_a_phrase_is_the_phrase_s(
        self, engine: Engine, text: str, asked: str, refused: str | None
    ) -> None:
        interpretation = engine.interpret(Need(text))
        assert asked in {c.id for c in interpretation.capabilities if c.central}
        negated = {s.value for s in interpretation.stated if s.negated and s.name == "capability"}
        assert negated == ({refused} if refused else set())

    def test_a_code_of_a_country_where_the_language_is_not_spoken_is_no_place(
        self, engine: Engine
    ) -> None:
        """ "em BH" in Portuguese is Belo Horizonte, not Bahrain; "in DE" in German is Germany."""
        assert (
            engine.interpret(Need("Sou MEI em BH e preciso emitir NFS-e")).constraints.region
            is None
        )
        german = engine.interpret(Need("Wir sind eine GmbH in DE und suchen eine Lohnabrechnung"))
        assert german.constraints.region == "DE"

    @pytest.mark.parametrize(
        ("text", "language"),
        [
            # the customers are all over Europe; the customer is not said to be anywhere
            (
                "Ich verkaufe Seifen über meinen Onlineshop an Kunden in ganz Europa und "
                "brauche Hilfe mit der Umsatzsteuer",
                "de",
            ),
            ("Sou MEI em BH e preciso emitir NFS-e", "pt"),
            ("Wij zijn een kwekerij en onze klanten willen facturen via Peppol", "nl"),
        ],
    )
    def test_a_need_that_names_no_place_is_from_where_its_language_is_spoken(
        self, engine: Engine, text: str, language: str
    ) -> None:
        from referral_api.matching.places import language_countries

        recommendation = engine.recommend(Need(text), limit=10)
        interpretation = recommendation.interpretation
        assert interpretation.constraints.region is None
        assert interpretation.constraints.language_area == language
        read = [s for s in interpretation.stated if s.name == "language_area"]
        assert [(s.value, s.source) for s in read] == [(language, "language")]
        countries = language_countries()[language]
        assert recommendation.results
        for fit in recommendation.results:
            regions = set(fit.offering.regions)
            assert (
                "global" in regions
                or regions & countries
                or any(countries & set(engine.rules.region_groups.get(r, ())) for r in regions)
            ), fit.offering.id

    @pytest.mark.parametrize(
        "need",
        [
            Need("Necesitamos un programa de nóminas para 7 empleados en Madrid"),  # a place
            Need("We need payroll for 7 staff"),  # English is written everywhere
            Need("Necesitamos un programa de nóminas", Constraints(region="MX")),
            Need("Necesitamos un programa de nóminas", ignore=("language_area",)),
        ],
    )
    def test_a_place_english_or_the_request_leaves_the_language_area_out(
        self, engine: Engine, need: Need
    ) -> None:
        assert engine.interpret(need).constraints.language_area is None

    def test_a_small_word_of_the_language_is_no_english_place_name(self, engine: Engine) -> None:
        text = "Ich verkaufe aus meinem Onlineshop Seifen und brauche Hilfe mit der Umsatzsteuer"
        assert engine.interpret(Need(text)).constraints.region is None

    def test_where_a_language_is_spoken(self) -> None:
        """Its main language or one GeoNames tags with the country ("fr-CA"); not a
        minority's ("fr" in the United States)."""
        from referral_api.matching.places import language_countries

        countries = language_countries()
        assert {"FR", "BE", "CA", "CH"} <= countries["fr"]
        assert {"ES", "MX", "AR", "US"} <= countries["es"]
        assert {"BR", "PT"} <= countries["pt"]
        assert "US" not in countries["fr"]
        assert "GB" not in countries["de"]

    def test_nothing_where_the_language_is_spoken_says_so_and_how_to_relax(
        self, demo_catalog: Catalog, rules: Rules
    ) -> None:
        """With only offerings for the United Kingdom, a French need gets no fit, and the
        relaxation names the language area."""
        british = tuple(
            o
            for o in demo_catalog.offerings
            if "payroll" in o.capabilities and set(o.regions) == {"GB"}
        )
        assert british
        catalog = Catalog.build(demo_catalog.info, demo_catalog.capabilities, british)
        recommendation = Engine(catalog, rules).recommend(
            Need("Nous cherchons un logiciel de paie pour nos salariés")
        )
        assert not recommendation.results
        worded = " ".join(r.detail for r in recommendation.relaxations)
        assert "where French is spoken" in worded
        # the same need in English is served
        assert Engine(catalog, rules).recommend(Need("We need payroll for our staff")).results

    def test_a_phrase_of_everyday_words_only_is_read(self, engine: Engine) -> None:
        """ "quem me deve" is all everyday Portuguese words; the phrase keeps them all, and so
        does the need it is looked for in."""
        interpretation = engine.interpret(Need("Queria um app para anotar quem me deve"))
        assert "accounts-receivable" in {c.id for c in interpretation.capabilities}

    def test_a_phrase_takes_no_part_of_a_currency_name(self, engine: Engine) -> None:
        """ "livres sterling" are pounds: "un compte où garder des livres" is no bookkeeping."""
        interpretation = engine.interpret(
            Need(
                "Je voudrais un compte où garder des livres sterling et des dollars sans tout "
                "convertir en euros à chaque fois."
            )
        )
        assert "bookkeeping" not in {c.id for c in interpretation.capabilities}
        assert engine.interpret(Need("je voudrais tenir mes livres de comptes")).capabilities

    def test_an_accented_everyday_word_is_no_unknown_thing(self, engine: Engine) -> None:
        """ "una aplicación" is as everyday as "an app": word frequencies are looked up with
        the accents the customer wrote, not folded away."""
        rec = engine.recommend(
            Need(
                "Hola, tengo una peluquería en Valencia y busco una aplicación para hacer facturas."
            )
        )
        assert [c.id for c in rec.interpretation.capabilities if c.central] == ["invoicing"]
        assert rec.results

    def test_a_local_term_in_an_english_need_is_read(self, engine: Engine) -> None:
        """A customer writing English keeps their own country's term for the thing."""
        interpretation = engine.interpret(
            Need("Small bakery in Bavaria, we need a Kassensystem that runs on our iPad.")
        )
        assert interpretation.language == "en"
        assert [c.id for c in interpretation.capabilities] == ["point-of-sale"]

    def test_short_or_unclear_text_is_read_as_english(self) -> None:
        assert detect_language("POS", ("en", "es", "de"))[0] == "en"

    @pytest.mark.parametrize(
        ("text", "asked"),
        [
            # "lookin 4 a" is "looking for a": what follows is asked
            (
                "lookin 4 a biz acct in aus w no monthly fees, n i need a card reader too",
                {"business-checking", "card-payments"},
            ),
            ("need sum1 2 do my books, im in canada", {"accounting-services"}),
            # "how 2 let" asks as "how to let" does, beside a later "want"
            (
                "cant figure out how 2 let ppl pay w bitcoin on my webstore, im in berlin. "
                "want euros in the end not coins",
                {"crypto-payments"},
            ),
        ],
    )
    def test_digits_for_words_before_what_nobody_counts(
        self, engine: Engine, text: str, asked: set[str]
    ) -> None:
        interpretation = engine.interpret(Need(text))
        assert asked <= {c.id for c in interpretation.capabilities if c.central}

    def test_a_digit_before_what_one_counts_stays_a_number(self, engine: Engine) -> None:
        assert engine.interpret(Need("payroll 4 staff in texas")).constraints.segment == "small"

    def test_txt_speak_is_english_when_its_words_are(self) -> None:
        """The model takes some slang for German; far more English-leaning words say English."""
        supported = ("en", "es", "fr", "de", "pt", "it", "nl")
        text = "need sumthin 2 do my books n connect my bank acct automaticaly, im in canada lol"
        assert detect_language(text, supported)[0] == "en"
        assert (
            detect_language("Wir brauchen ein POS System für unseren Laden", supported)[0] == "de"
        )


class TestEvidence:
    """A capability is requested on evidence, never from a stray everyday word."""

    @pytest.mark.parametrize(
        "text",
        [
            "help me write a wedding speech for my brother",
            "a video conferencing tool for 40 people",
            "translate Klingon poetry and water my plants automatically",
            "The bank along the back of our campground is eroding. Who does retaining walls?",
            # "who do we call" asks: the accounting firm is only who is asking
            "Our accounting firm's office has a leaking roof. Who do we call to fix the leak?",
            # what they want done ("to repaint") is nothing the catalogue offers
            "We'd like to repaint the front of our bookkeeping office. Any decorators nearby?",
            # everyday words that a capability's customer phrasings use ("find an accountant",
            # "cheap accountant") are no description of it
            "Where can I find cheap stock photos of tractors and hay bales for our farm brochure?",
            # a quote someone gives them asks for no quoting tool
            "The roof of our barn needs replacing before winter - who can give us a quote?",
        ],
    )
    def test_out_of_domain_claims_no_fit(self, engine: Engine, text: str) -> None:
        rec = engine.recommend(Need(text))
        assert rec.results == ()
        assert not rec.interpretation.ask_understood
        assert rec.summary.startswith("We did not understand")

    def test_many_words_of_one_capability_ask_for_it(self, engine: Engine) -> None:
        """No phrase names it, yet the asked words together match one capability's
        vocabulary strongly and better than any other's: that capability is asked."""
        rec = engine.recommend(
            Need(
                "Our garden centre has three sites in Ontario; I want to know how many of each "
                "plant pot sits at which site, shift stock between sites and be warned before "
                "we run low."
            )
        )
        asked = [c for c in rec.interpretation.capabilities if c.central]
        assert [c.id for c in asked] == ["inventory-management"]
        assert asked[0].source == "vocabulary"
        assert rec.results

    def test_a_need_described_at_length_asks_for_what_it_describes(self, engine: Engine) -> None:
        """The ask ("is there a better way?") names nothing; the customer's whole account of
        their trouble, context and all, matches one capability's vocabulary very strongly."""
        rec = engine.recommend(
            Need(
                "Half my customers settle up 60 days late and I hate phoning them to ask for "
                "the money. Is there a better way?"
            )
        )
        asked = [c for c in rec.interpretation.capabilities if c.central]
        assert [c.id for c in asked] == ["payment-reminders"]
        assert rec.interpretation.ask_understood
        assert rec.results

    @pytest.mark.parametrize(
        ("text", "described"),
        [
            (
                "We have about £30k in invoices outstanding with two big retailers who pay at 90 "
                "days. I need to get cash against them now instead of waiting, we're a small "
                "bakery in Leeds.",
                "invoice-financing",
            ),
            (
                "I'd love to open my phone each morning and see yesterday's sales, our margin "
                "this month and how much sits in the account, without logging into three systems.",
                "kpi-dashboards",
            ),
        ],
    )
    def test_a_description_outweighs_a_stray_phrase(
        self, engine: Engine, text: str, described: str
    ) -> None:
        """A phrase named something ("invoices outstanding", "account"), but the customer's
        words as a whole describe another capability far more strongly: it is asked too."""
        asked = {c.id for c in engine.interpret(Need(text)).capabilities if c.central}
        assert described in asked

    def test_the_phones_they_carry_are_their_platform(self, engine: Engine) -> None:
        constraints = engine.interpret(
            Need("The 6 sales reps all carry Samsungs. An app that logs their business miles.")
        ).constraints
        assert constraints.platforms == ("android",)

    def test_names_describe_nothing(self, engine: Engine) -> None:
        """ "Apple" and "Samsung" are words of contactless payments' providers, but here they
        name the phones the drivers carry: no description of card payments."""
        interpretation = engine.interpret(
            Need(
                "Nobody in our office touches Apple stuff - our 4 drivers all carry Samsungs. "
                "We want an app that logs their business miles automatically, US company."
            )
        )
        assert [c.id for c in interpretation.capabilities if c.central] == ["mileage-tracking"]

    @pytest.mark.parametrize(
        "text",
        [
            "Our church choir needs new robes for the christmas concert, about 30 singers, "
            "something washable and not too pricey.",
            "Our dock sits right on the river bank and the bank is slumping after every storm. "
            "Need a marine contractor to shore it up before winter, we're a small marina.",
        ],
    )
    def test_a_long_account_of_something_else_is_still_not_understood(
        self, engine: Engine, text: str
    ) -> None:
        rec = engine.recommend(Need(text))
        assert rec.results == ()
        assert not rec.interpretation.ask_understood

    def test_a_broader_capability_does_not_serve_a_narrower_ask(self, engine: Engine) -> None:
        """General payroll earns credit for household payroll but does not serve it: when
        nothing active covers household payroll, nothing fits and the answer says so."""
        rec = engine.recommend(
            Need("We need nanny payroll for the au pair we employ at home in Ohio.")
        )
        assert [c.id for c in rec.interpretation.capabilities] == ["household-payroll"]
        assert rec.results == ()
        assert "household employer payroll" in rec.summary

    @pytest.mark.parametrize(
        ("text", "thing", "feature"),
        [
            (
                "Real estate agency in Australia. We hold tenants' bonds and need proper trust "
                "accounting that reconciles.",
                "trust-accounting",
                "reconciliation",
            ),
            (
                "Lisbon-based startup, 6 people. We need a business current account with cards "
                "for the team.",
                "business-checking",
                "corporate-cards",
            ),
            (
                "Wir suchen eine Lohnabrechnung mit Zeiterfassung für unsere Bäckerei in Köln",
                "payroll",
                "time-tracking",
            ),
            (
                # where it runs may come first, and "with" may open a list of features
                "Bakery in Bristol. We want a proper till on our iPads with stock and card "
                "payments.",
                "point-of-sale",
                "card-payments",
            ),
        ],
    )
    def test_a_feature_of_the_thing_asked_does_not_make_a_fit_alone(
        self, engine: Engine, text: str, thing: str, feature: str
    ) -> None:
        """What "with" or "that" adds right after the thing asked is one of its features: a
        fit must be the thing; the feature still counts in its score."""
        rec = engine.recommend(Need(text), limit=10)
        read = {c.id: c.central for c in rec.interpretation.capabilities}
        assert read[thing]
        assert not read[feature]
        for fit in rec.results:
            served = {
                c.capability
                for c in fit.coverage
                if c.status.value in ("full", "partial", "via-narrower")
            }
            assert thing in served, fit.offering.id

    @pytest.mark.parametrize(
        ("text", "capability"),
        [
            ("Dental practice: we need patient billing from a vendor that will sign a BAA", None),
            ("we need manager sign-off on spending", "approval-workflows"),
            ("a clock-in screen for our hourly staff", "time-tracking"),
        ],
    )
    def test_a_phrase_keeps_its_particle(
        self, engine: Engine, text: str, capability: str | None
    ) -> None:
        """ "sign-off" is read only where "off" follows "sign": signing a contract asks for
        no approval workflow."""
        read = [c.id for c in engine.interpret(Need(text)).capabilities]
        if capability is None:
            assert "approval-workflows" not in read
        else:
            assert capability in read

    def test_a_question_is_asked_from_its_ask_cue_on(self, engine: Engine) -> None:
        """Who asked is not what is asked: "Some buyers … - is there a checkout that handles
        that?" asks for a checkout for what the buyers want, not about the buyers."""
        rec = engine.recommend(
            Need(
                "Gift shop in Singapore. A few tourists keep asking to pay in USDC stablecoin - "
                "is there a checkout that handles that?"
            )
        )
        assert [c.id for c in rec.interpretation.capabilities if c.central] == ["crypto-payments"]
        assert rec.results

    def test_a_must_have_met_is_one_reason_in_its_label(self, engine: Engine) -> None:
        """A structured must-have covered is said once (by the coverage reason), and in the
        capability's words, not its id."""
        rec = engine.recommend(
            Need("card payments for my shop", Constraints(must_have=("card-payments",)))
        )
        assert rec.results
        for fit in rec.results:
            assert sum("card payments" in r.lower() for r in fit.reasons) == 1
            assert not any("card-payments" in r for r in fit.reasons)
        assert all("card-payments" not in v.detail for f in rec.rejected for v in f.failed)

    def test_a_redaction_placeholder_is_no_word_of_the_need(self, engine: Engine) -> None:
        rec = engine.recommend(Need("payroll for my 5 staff in Texas - [email], [phone]"))
        assert rec.interpretation.not_understood == ()

    def test_what_the_customer_is_is_not_what_they_ask(self, engine: Engine) -> None:
        """Right after "we're a" or "I'm a", a capability's words say who asks: an
        accountancy practice asking about its espresso machine is asking for no accountant."""
        rec = engine.recommend(
            Need(
                "Hi, we're a small accountancy practice in Derby and our espresso machine "
                "leaks all over the kitchen. Who services La Marzocco machines locally?"
            )
        )
        assert not rec.results
        assert not rec.interpretation.ask_understood
        assert all(not c.central for c in rec.interpretation.capabilities)
        asked = engine.interpret(Need("I'm a bookkeeper looking for payroll software for 3 staff"))
        assert {c.id for c in asked.capabilities if c.central} == {"payroll"}

    def test_the_accountant_who_tells_them_is_not_the_ask(self, engine: Engine) -> None:
        """ "Our accountant says …" names who told them what they need, not what they ask;
        "my accountant retired, I need a new one" still asks for one."""
        told = engine.recommend(
            Need(
                "Architecture practice in Antwerp. Our accountant says every invoice to another "
                "business has to be a structured Peppol one. What can we use for those?"
            )
        )
        central = {c.id for c in told.interpretation.capabilities if c.central}
        assert "accounting-services" not in central
        assert "e-invoicing" in central
        assert told.results
        again = engine.interpret(Need("my accountant retired, I need a new one. Bakery in Leeds."))
        assert "accounting-services" in {c.id for c in again.capabilities if c.central}

    @pytest.mark.parametrize(
        "text",
        [
            # another party's place in another country than the customer's
            "Our fabric supplier in Istanbul wants settling each month and sending it from our "
            "American account loses a painful amount. Looking for a cheaper route.",
            # paid "in" a currency not the customer's
            "UK homeware shop, we need to pay our suppliers in USD without losing 3% each time.",
        ],
    )
    def test_paying_someone_abroad_asks_for_an_international_payment(
        self, engine: Engine, text: str
    ) -> None:
        rec = engine.recommend(Need(text))
        central = {c.id for c in rec.interpretation.capabilities if c.central}
        assert "international-payments" in central
        assert any(
            c.capability == "international-payments" and c.credit > 0
            for fit in rec.results[:3]
            for c in fit.coverage
        )

    def test_a_business_placed_in_a_town_states_facts_about_itself(self, engine: Engine) -> None:
        """ "Biergarten in Munich needs …" is a customer speaking of their business: the
        handhelds they name are a must-have, as after "we"; nothing fits, and the answer says
        so rather than offering tills that do not run on Android."""
        rec = engine.recommend(
            Need(
                "Biergarten in Munich needs a restaurant till with table plans and orders "
                "going straight to the kitchen, on Android handhelds for the waiters."
            )
        )
        assert rec.interpretation.constraints.platforms == ("android",)
        assert "platforms=android" not in rec.interpretation.constraints.soft
        assert all(fit.meets_hard_constraints for fit in rec.results)

    @pytest.mark.parametrize(
        "text",
        [
            "UK shop, we need to pay our suppliers in Leeds on time",  # at home
            "We need to pay our suppliers in GBP on time. Shop in Leeds.",  # their currency
            "We need to pay our supplier in Vietnam on time.",  # the customer's country unknown
        ],
    )
    def test_paying_at_home_is_no_international_payment(self, engine: Engine, text: str) -> None:
        interpretation = engine.interpret(Need(text))
        assert "international-payments" not in {c.id for c in interpretation.capabilities}

    def test_need_booking_is_not_bookkeeping(self, engine: Engine) -> None:
        assert "bookkeeping" not in {
            c.id for c in engine.interpret(Need("need booking")).capabilities
        }

    def test_an_offering_named_is_what_they_use_not_a_capability(self, engine: Engine) -> None:
        interpretation = engine.interpret(
            Need("We keep our books in Ledgerly Books and want an expense app that syncs")
        )
        assert "ledgerly-books" in interpretation.mentioned
        assert "general-ledger" not in {c.id for c in interpretation.capabilities}

    def test_a_phrase_is_read_within_one_clause(self, engine: Engine) -> None:
        """ "payroll, and I also need recruiting software" holds no "payroll software": the
        recruiting part stays unserved and is named."""
        rec = engine.recommend(
            Need("HVAC company in Texas. I need payroll, and I also need recruiting software.")
        )
        assert rec.results
        assert any("recruiting" in words for words in rec.interpretation.not_understood)

    def test_half_served_names_the_unserved_part(self, engine: Engine) -> None:
        rec = engine.recommend(Need("payroll for my 5 staff in Texas and also a website builder"))
        assert rec.results
        assert any("website" in words for words in rec.interpretation.not_understood)

    def test_nothing_fits_from_words_offers_relaxations(self, engine: Engine) -> None:
        """Only offerings that miss a must-have the words state cover the ask: nothing fits,
        and the smallest relaxation is proposed, exactly as for structured must-haves."""
        rec = engine.recommend(
            Need("Our company in Japan has 8 staff. We need payroll, and it must run on Android.")
        )
        assert rec.results == ()
        assert rec.rejected
        assert rec.relaxations

    @pytest.mark.parametrize(
        "text",
        [
            "Looking for a DJ for our accounting firm's 20th anniversary party in March",
            "We need a forklift repaired at our warehouse in Rotterdam, hydraulics are leaking.",
            "We zoeken een dakdekker: het lekt boven ons kantoor bij de afdeling boekhouding.",
            "Need a locksmith - locked out of the shop, keys are inside, it's raining.",
        ],
    )
    def test_an_ask_for_a_thing_we_do_not_know_is_not_its_context(
        self, engine: Engine, text: str
    ) -> None:
        """The thing asked for is what the ask names first; a capability named after it
        ("for our accounting firm's party") is that thing's context, not the ask."""
        rec = engine.recommend(Need(text))
        assert rec.results == ()
        assert not rec.interpretation.ask_understood
        assert rec.interpretation.suggestions  # "did you mean …?"

    @pytest.mark.parametrize(
        ("text", "capability"),
        [
            ("I need a simple payroll for my 4 staff in Ohio", "payroll"),  # qualifies it
            ("We need a new invoicing app for the studio in Leeds", "invoicing"),  # everyday
            ("We need a Xero-style bookkeeping service, based in Leeds", "bookkeeping-service"),
        ],
    )
    def test_an_ask_that_names_a_capability_keeps_it(
        self, engine: Engine, text: str, capability: str
    ) -> None:
        central = {c.id for c in engine.interpret(Need(text)).capabilities if c.central}
        assert capability in central

    def test_a_list_after_an_unknown_thing_still_asks(self, engine: Engine) -> None:
        rec = engine.recommend(Need("we need a crm for deals and also expense tracking, US"))
        assert rec.results
        assert {c.id for c in rec.interpretation.capabilities if c.central} == {"expense-tracking"}
        assert any("crm" in words for words in rec.interpretation.not_understood)

    @pytest.mark.parametrize(
        ("text", "capability"),
        [
            # a negated ask asks for nothing: the rest is the ask
            (
                "Payroll for 9 employees in France. It must be GDPR compliant, and no, we "
                "don't want an employer-of-record service.",
                "payroll",
            ),
            # an ask with nothing after it refers back
            ("wanna take card payments at my food truck in Texas, what do people use", None),
            # a question is asked as well as what follows an ask cue
            ("accept btc on my webshop? netherlands, want euros in my bank not coins", None),
            # a closing word asks for what came before it in its clause
            (
                "Cafe in Canada, 10 staff. Payroll please - and we also need help recruiting "
                "two baristas.",
                "payroll",
            ),
            ("Bookkeeper wanted for our UK charity, and we need someone quickly", None),
            # "which" after a noun opens a relative clause, not a question
            (
                "UK pub, 4 staff. Payroll has to be under £20 a month, we're paying an "
                "accountant £90 a month for it right now which is daft.",
                "payroll",
            ),
            # a vague ask ("one app for all three") asks for what the context named
            (
                "Bakery in Leeds. Every week I do invoices for the cafés we supply by hand. "
                "Want one simple app for that.",
                "invoicing",
            ),
        ],
    )
    def test_where_the_ask_is(self, engine: Engine, text: str, capability: str | None) -> None:
        rec = engine.recommend(Need(text))
        assert rec.interpretation.ask_understood
        assert rec.results
        if capability is not None:
            assert capability in {c.id for c in rec.interpretation.capabilities if c.central}

    @pytest.mark.parametrize(
        ("text", "capability"),
        [
            ("payrol for 3 ppl in the uk pls", "payroll"),
            ("need invocing for my shop", "invoicing"),
            # a number between a phrase's words is no word apart
            ("our books r like 3 yrs behnd. need help", "catch-up-bookkeeping"),
        ],
    )
    def test_a_misspelt_word_is_read_as_the_word(
        self, engine: Engine, text: str, capability: str
    ) -> None:
        assert capability in {c.id for c in engine.interpret(Need(text)).capabilities}

    def test_a_misspelt_word_counts_as_the_word_everywhere(self, engine: Engine) -> None:
        """A misspelling no phrase holds still counts as the word it misspells where the
        need's vocabulary is weighed: the same reading, the same fits as spelt right."""
        spelt, misspelt = (
            engine.recommend(Need(f"what app do people use for {word}? plumber, uk"))
            for word in ("receipts", "reciepts")
        )
        assert spelt.results
        assert [c.id for c in misspelt.interpretation.capabilities] == [
            c.id for c in spelt.interpretation.capabilities
        ]
        assert [f.offering.id for f in misspelt.results] == [f.offering.id for f in spelt.results]

    def test_a_name_is_no_misspelling(self, engine: Engine) -> None:
        """A word capitalised inside its sentence is a name ("the Medici bank"), not a typo
        of a word the catalogue uses."""
        rec = engine.recommend(
            Need("I need a good book about the history of the Medici bank for a book club.")
        )
        assert not rec.results

    @pytest.mark.parametrize(
        ("text", "asked", "qualifying"),
        [
            (
                "Bistro in Berlin. Is there someone offering a merchant cash advance repaid "
                "from card takings?",
                {"merchant-cash-advance"},
                {"card-payments"},
            ),
            (
                "Sports club in Ohio, we need fund accounting to keep grant money separate from "
                "membership fees.",
                {"nonprofit-fund-accounting"},
                {"recurring-billing"},
            ),
            # a feature of the thing asked: the thing makes a fit, the feature adds to it
            (
                "Shop in Leeds, we need payroll with time tracking",
                {"payroll"},
                {"time-tracking"},
            ),
            (
                "Shop in Leeds: a POS that does inventory",
                {"point-of-sale"},
                {"inventory-management"},
            ),
            # "and" asks for both
            (
                "Shop in Leeds, we need payroll and time tracking",
                {"payroll", "time-tracking"},
                set(),
            ),
        ],
    )
    def test_a_later_capability_qualifies_the_first_unless_added(
        self, engine: Engine, text: str, asked: set[str], qualifying: set[str]
    ) -> None:
        capabilities = engine.interpret(Need(text)).capabilities
        assert {c.id for c in capabilities if c.central} == asked
        assert not qualifying & {c.id for c in capabilities if c.central}

    def test_a_phrase_that_repeats_a_word_wants_it_twice(self, engine: Engine) -> None:
        """ "money in and money out" (bookkeeping) is not read from one "money"."""
        capabilities = engine.interpret(Need("We want to put money aside every month")).capabilities
        assert "bookkeeping" not in {c.id for c in capabilities}
        capabilities = engine.interpret(Need("I need to track money in and money out")).capabilities
        assert "bookkeeping" in {c.id for c in capabilities}

    def test_words_as_written_before_words_gathered(self, engine: Engine) -> None:
        """ "trust accounting that reconciles" is trust accounting; "reconcile accounts"
        gathered from its words in another order loses to it."""
        read = engine.interpret(
            Need("Letting agency here: we need proper trust accounting that reconciles.")
        ).capabilities
        assert "trust-accounting" in [c.id for c in read]

    def test_a_phrase_is_never_read_across_sentences(self, engine: Engine) -> None:
        capabilities = engine.interpret(
            Need("We hired a carer for my father at home in Oregon. How do we pay her?")
        ).capabilities
        assert all("." not in c.matched for c in capabilities)

    def test_a_fit_serves_the_central_ask(self, engine: Engine) -> None:
        rec = engine.recommend(Need("crypto payments for my online shop in Nigeria"))
        served = {c.id for c in rec.interpretation.capabilities if c.central}
        assert "crypto-payments" in served
        for fit in rec.results:
            assert any(c.capability in served and c.credit > 0 for c in fit.coverage)


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=300
    )
    | st.lists(
        st.sampled_from(
            ["payroll", "سلام", "שלום", "😀", "€", "$", "9" * 400, "k", "in", "Texas", "no", "ni"]
        ),
        min_size=1,
        max_size=30,
    ).map(" ".join)
)
def test_any_text_gets_an_answer(engine: Engine, text: str) -> None:
    """Any script, right-to-left text, emoji, mixed languages and amounts of any size: an
    answer, never an exception."""
    rec = engine.recommend(Need(text))
    assert rec.summary
    assert rec.interpretation.language
    budget = rec.interpretation.constraints.budget_monthly
    assert budget is None or 0 <= budget <= 1e9


@pytest.mark.parametrize(
    "text",
    [
        "UK limited company, we need help with corporation tax and the year-end accounts",
        "We're an S corporation in Ohio and need payroll for 6 staff",
    ],
)
def test_a_kind_of_company_or_tax_is_no_size(engine: Engine, text: str) -> None:
    """A kind of company or tax ("corporation tax", "S corporation") tells no size."""
    assert engine.interpret(Need(text)).constraints.segment != "enterprise"


@pytest.mark.parametrize(
    ("text", "capability", "means"),
    [
        (
            "Plumber in Australia, always late with the quarterly BAS - want something that "
            "prepares it off my bank account so I just hit lodge.",
            "vat-returns",
            "banking",
        ),
        (
            "We need to pay our suppliers' bills on time from our bank account, we're in Leeds",
            "bill-pay",
            "banking",
        ),
    ],
)
def test_a_means_the_customer_has_is_not_the_ask(
    engine: Engine, text: str, capability: str, means: str
) -> None:
    """ "off my bank account", "from our bank account": a thing the customer has and uses is
    no ask; what they do with it is."""
    central = {c.id for c in engine.recommend(Need(text)).interpretation.capabilities if c.central}
    assert means not in central
    assert capability in central


@pytest.mark.parametrize(
    ("text", "capability", "read"),
    [
        (
            "We need a fire risk assessment for our new cafe kitchen in Leeds",
            "income-tax-filing",
            False,
        ),
        (
            "UK sole trader, I want an app to file my self assessment online",
            "income-tax-filing",
            True,
        ),
        ("The band got paid in cash, now we need a new drummer in Austin", "payments", False),
    ],
)
def test_a_phrase_s_small_words_are_part_of_it(
    engine: Engine, text: str, capability: str, read: bool
) -> None:
    """A phrase that is one word besides its small ones ("self assessment", "get paid", "need
    cash") is read only with them: "risk assessment" is no tax return."""
    ids = {c.id for c in engine.interpret(Need(text)).capabilities}
    assert (capability in ids) is read


@pytest.mark.parametrize(
    ("text", "capability"),
    [
        # "ne1 know" asks as "anyone know" does; "km's" are kilometres
        ("ne1 know a gd app 4 tracking km's? sales rep in perth, australia", "mileage-tracking"),
        # "sum1 to …" refers back to what the need named, as "someone to …" does
        ("my books r a total mess, 2 yrs behind. need sum1 to clean it all up. canada", None),
        ("dont want new accounts software, just need my vat return done, im in the uk", None),
        # "tht" is "that": no unknown word to make the need look like something else
        (
            "r there apps tht show my sales, margin n cash on 1 screen?? small biz in ireland",
            "kpi-dashboards",
        ),
    ],
)
def test_txt_speak_is_read_as_what_it_stands_for(
    engine: Engine, text: str, capability: str | None
) -> None:
    rec = engine.recommend(Need(text))
    assert rec.interpretation.ask_understood
    assert rec.results
    if capability is not None:
        assert capability in {c.id for c in rec.interpretation.capabilities if c.central}
    assert "accounting" not in {c.id for c in rec.interpretation.capabilities}
    # the answer quotes what was written
    assert all(c.matched in text for c in rec.interpretation.capabilities if c.span)


@pytest.mark.parametrize(
    ("text", "capability"),
    [
        # "take" is "accept" at the head of a phrase ("accept bitcoin")
        ("we want to take bitcoin at our vape shop in London, UK", "crypto-payments"),
        # a phrase gathered from around ("accept … cards") leaves the word between to another
        (
            "Bookshop in Leeds, we need to accept contactless cards at the counter",
            "contactless-payments",
        ),
    ],
)
def test_phrases_are_read_in_their_variants(engine: Engine, text: str, capability: str) -> None:
    assert capability in {c.id for c in engine.interpret(Need(text)).capabilities}


@pytest.mark.parametrize(
    ("text", "capability"),
    [
        # a third person asks too ("unsere GmbH braucht"), and "für" only says what for
        ("Unsere Bäckerei in Bremen braucht einen Kredit für einen neuen Ofen.", "business-loans"),
        # a vague ask in another language asks for what the need named before it; its
        # everyday words ("gratuito") name nothing else
        (
            "Sono un elettricista a Torino e devo emettere fatture elettroniche. Cerco qualcosa "
            "di semplice e possibilmente gratuito.",
            "e-invoicing",
        ),
    ],
)
def test_asks_in_other_languages(engine: Engine, text: str, capability: str) -> None:
    rec = engine.recommend(Need(text))
    assert capability in {c.id for c in rec.interpretation.capabilities if c.central}
    assert rec.results


@pytest.mark.parametrize(
    "text",
    [
        # a question is a customer's, never a product's description: its stray words are no ask
        "Draughty shop door, the cold comes straight in. Anyone who fits door seals in Cork?",
        "Need a mobile dog groomer in Austin who can do big breeds",
        # in German every noun has a capital: "einen Schreiner" is still the thing asked for
        "Wir suchen einen Schreiner in Köln, der eine Theke mit Platz für die Kasse baut.",
    ],
)
def test_a_customer_asking_for_something_else_gets_no_fit(engine: Engine, text: str) -> None:
    assert engine.recommend(Need(text)).results == ()


def test_who_they_pay_is_not_who_they_are(engine: Engine) -> None:
    """ "my freelance devs in India": the customer pays freelancers abroad; they are neither a
    freelancer nor in India."""
    text = "We are a US company and we pay our freelance devs in India every month"
    reading = engine.interpret(Need(text))
    assert reading.constraints.segment != "individual"
    assert reading.constraints.region == "US"
    assert "contractor-payments" in {c.id for c in reading.capabilities}


@pytest.mark.parametrize(
    ("text", "capability"),
    [
        # a doubled consonant is an inflection: "scanning" is "scan"
        ("Looking for a receipt scanning app, sole trader in Canada", "receipt-capture"),
        # same stems, other words: an account is not accounting
        ("We just need a multi-currency account, UK agency", "multi-currency-accounts"),
        ("We need multi-currency accounting for our UK agency", "multi-currency-accounting"),
    ],
)
def test_words_are_told_from_their_stem_mates(engine: Engine, text: str, capability: str) -> None:
    central = [c.id for c in engine.interpret(Need(text)).capabilities if c.central]
    assert central == [capability]


@pytest.mark.parametrize(
    ("text", "service"),
    [
        (
            "need sum1 2 do my taxes this yr, self employed hairdresser in new jersey",
            "tax-preparation-service",
        ),
        (
            "I want a real human to handle our bookkeeping every month. US design studio.",
            "bookkeeping-service",
        ),
        # a service named in passing is the one asked for
        (
            "havent done my books since march. need sum1 to catch it all up. us llc",
            "catch-up-bookkeeping",
        ),
        # a person refused asks for no service
        (
            "Electrician in Perth WA. I want to lodge my own BAS without paying someone to do it",
            None,
        ),
    ],
)
def test_a_person_asked_for_is_a_service(engine: Engine, text: str, service: str | None) -> None:
    """ "someone to do my taxes": the service that does the capability is what is asked."""
    reading = engine.interpret(Need(text))
    services = engine.index.capabilities.services
    central = {c.id for c in reading.capabilities if c.central}
    if service is None:
        assert not central & services
    else:
        assert service in central


@pytest.mark.parametrize(
    ("text", "capability"),
    [
        (
            "Wholesaler in Leeds; customers pay at 60 days. We want cash against those invoices now.",
            "invoice-financing",
        ),
    ],
)
def test_everyday_phrasings_are_read(engine: Engine, text: str, capability: str) -> None:
    assert capability in {c.id for c in engine.interpret(Need(text)).capabilities if c.central}


def test_a_capital_city_is_no_capital_to_borrow(engine: Engine) -> None:
    reading = engine.interpret(
        Need("Cafe in Wellington, the capital of New Zealand. We need a till.")
    )
    assert "lending" not in {c.id for c in reading.capabilities}


def test_what_the_product_works_on_is_no_other_thing(engine: Engine) -> None:
    """ "software to record the rent": the rent is what it records, not a thing asked for."""
    rec = engine.recommend(
        Need(
            "Landlord in the UK: I need proper software to record the rent and send my self assessment to HMRC"
        )
    )
    assert rec.results
    assert "income-tax-filing" in {c.id for c in rec.interpretation.capabilities if c.central}


def test_what_a_thing_is_wanted_for_is_its_job(engine: Engine) -> None:
    """ "a fractional CFO to build our model and board reporting": the reporting is the CFO's
    job, so a reporting tool is no fit for it."""
    reading = engine.interpret(
        Need(
            "Startup in Toronto. Looking for a fractional CFO to build our model and board reporting."
        )
    )
    assert [c.id for c in reading.capabilities if c.central] == ["fractional-cfo"]


def test_what_should_happen_is_asked(engine: Engine) -> None:
    """ "Members should pay by direct debit": required in so many words, so asked, beside what
    follows "we need" (here a waitlist nobody sells)."""
    rec = engine.recommend(
        Need(
            "Yoga studio in Cork. Members should pay by direct debit each month, and we need a class app with a waitlist."
        )
    )
    assert "direct-debit" in {c.id for c in rec.interpretation.capabilities if c.central}
    assert rec.results
    assert any("waitlist" in words for words in rec.interpretation.not_understood)


def test_a_word_that_names_the_thing_asked_asks_for_nothing_more(engine: Engine) -> None:
    """ "Someone who will buy our outstanding invoices … based on the invoices themselves":
    invoice financing is about invoices; "the invoices" alone asks for no invoicing tool."""
    rec = engine.recommend(
        Need(
            "Haulage firm in Leeds, our customers settle after 90 days. Is there someone who "
            "will buy those outstanding invoices or advance money against them? It has to be "
            "based on the invoices themselves."
        )
    )
    central = {c.id for c in rec.interpretation.capabilities if c.central}
    assert "invoice-financing" in central
    assert "invoicing" not in central
    for fit in rec.results:
        assert "invoice-financing" in fit.offering.capabilities, fit.offering.id


def test_who_is_good_for_asks_for_what_follows(engine: Engine) -> None:
    """ "Who's good for X?" asks for X: a quote named in the context around it is no ask."""
    other = engine.recommend(
        Need("Who's good for public liability insurance for our cake stall? Our quote doubled.")
    )
    assert other.results == ()
    assert not other.interpretation.ask_understood
    ours = engine.recommend(Need("Who's good for payroll? Cafe in Leeds, 6 staff."))
    assert "payroll" in {c.id for c in ours.interpretation.capabilities if c.central}
    assert ours.results


def test_who_the_customer_is_is_not_what_a_vague_ask_wants(engine: Engine) -> None:
    """ "I'm a partner at a small accounting firm … can you suggest a cleaning company?": the
    firm is who they are, not what they ask for."""
    rec = engine.recommend(
        Need(
            "I'm a partner at a small accounting firm in Reading. Our office carpets need a "
            "deep clean - can you suggest a commercial cleaning company?"
        )
    )
    assert rec.results == ()
    assert not rec.interpretation.ask_understood


@pytest.mark.parametrize(
    ("text", "capability"),
    [
        (
            "Bakery in Leeds with two vans. VAT has been a mess since we grew. Who does that "
            "for a tiny outfit like ours?",
            "vat-returns",
        ),
        (
            "Online shop in Manitoba and the GST/HST/PST side is beyond me. I need it worked "
            "out at checkout and remitted for me.",
            "sales-tax",
        ),
    ],
)
def test_an_ask_pointing_back_asks_for_what_was_named(
    engine: Engine, text: str, capability: str
) -> None:
    """ "Who does that for a tiny outfit?": the ask points back at what was named before;
    what it adds ("outfit", "remitted") says how, not that something else is asked."""
    rec = engine.recommend(Need(text))
    assert rec.interpretation.ask_understood
    assert capability in {c.id for c in rec.interpretation.capabilities if c.central}
    assert rec.results


def test_something_new_is_no_pointing_back(engine: Engine) -> None:
    """ "I need something to clean the ovens": "something" points at nothing named before,
    so the payroll they run today is not what they ask for."""
    rec = engine.recommend(
        Need("Our bakery runs payroll on Ledgerly. I need something to clean the ovens every week.")
    )
    assert rec.results == ()


def test_servers_at_a_restaurant_are_people(engine: Engine) -> None:
    """ "our servers" in a restaurant wait on tables: no self-hosting is asked for."""
    constraints = engine.interpret(
        Need("our servers need their tips split fairly, restaurant in Leeds")
    ).constraints
    assert constraints.platforms == ()


def test_an_ask_naming_something_else_still_is_not_understood(engine: Engine) -> None:
    """A word pointing back opens the ask only at its start: "a DJ that plays our accounting
    firm's party" names a DJ."""
    rec = engine.recommend(
        Need("We're an accounting firm. Looking for a DJ that plays 80s music at our party.")
    )
    assert rec.results == ()


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("Wir suchen jemanden, der unsere Buchhaltung macht. Kleine Firma in Köln.", True),
        ("Kennt jemand eine gute Buchhaltungssoftware für Freiberufler in Köln?", False),
        (
            "On aimerait confier notre tenue de livres à une firme externe. Microbrasserie à Québec.",
            True,
        ),
    ],
)
def test_a_person_asked_for_in_other_languages(engine: Engine, text: str, asked: bool) -> None:
    services = engine.index.capabilities.services
    central = {c.id for c in engine.interpret(Need(text)).capabilities if c.central}
    assert bool(central & services) is asked


def test_a_hedge_after_a_place_is_about_what_follows(engine: Engine) -> None:
    """ "in Canada with maybe 10 clients": the place is a must-have, the count is hedged."""
    reading = engine.interpret(
        Need("I'm a translator in Canada with maybe 10 clients, need invoicing")
    )
    assert reading.constraints.region == "CA"
    assert "region" not in reading.constraints.soft


def test_a_broader_head_leaves_the_narrower_ask(engine: Engine) -> None:
    """ "program for make factura electronica CFDI": invoicing is the context of e-invoicing, so
    e-invoicing is asked, not demoted as a qualifier of it."""
    reading = engine.interpret(
        Need("helo i need program for make factura electronica CFDI 4.0, i am in monterrey")
    )
    assert [c.id for c in reading.capabilities if c.central] == ["e-invoicing"]


def test_everyday_words_do_not_make_a_description_similar(engine: Engine) -> None:
    """ "three", "see", "first" say nothing of a product: they do not count in the text
    similarity, unless a capability's phrase holds them; rarer words still do."""
    it = engine.interpret(Need("I want to see the next three months of cash flow for my nursery"))
    assert {"three", "see"}.isdisjoint(it.terms)
    assert "nurseri" in it.terms
    assert any(c.id == "cash-flow-forecasting" for c in it.capabilities)
    # the forecaster, not the CFO firm whose description has "three-statement models"
    rec = engine.recommend(
        Need(
            "Garden centre in Ontario: I'd like to see three months ahead, is the account dipping below zero?"
        )
    )
    assert rec.results[0].offering.id != "vault-cfo"


def test_a_description_at_length_makes_a_context_phrase_the_ask(engine: Engine) -> None:
    """ "my estimates on paper" alone is what the customer does today; the rest of the need
    describes quotes at length, so quotes are what they ask for, not "did you mean"."""
    rec = engine.recommend(
        Need(
            "Painting contractor in Ohio and I still scribble my estimates on paper. I'd like "
            "homeowners to get a tidy price breakdown on their phone, tap to accept it, and then "
            "have it become the bill once the job is finished."
        )
    )
    central = [c.id for c in rec.interpretation.capabilities if c.central]
    assert central == ["estimates-quotes"]
    assert rec.interpretation.ask_understood
    assert [c.id for c in rec.interpretation.capabilities].count("estimates-quotes") == 1
    assert "estimates-quotes" in rec.results[0].offering.capabilities


@pytest.mark.parametrize(
    ("text", "books"),
    [
        ("We need receipt photos for claims, and a travel agent to book our flights.", False),
        ("Our gym kiosk is broken: members can't book slots on the climbing wall.", False),
        ("I keep my books in a spreadsheet and want proper software", True),
        ("Could you do my books every month?", True),
    ],
)
def test_a_plural_noun_is_not_its_verb(engine: Engine, text: str, books: bool) -> None:
    """ "to book", "can't book" are verbs: not "books" (bookkeeping)."""
    read = engine.interpret(Need(text)).capabilities
    from_books = [
        c.id
        for c in read
        if c.source != "vocabulary" and any(w.startswith("book") for w in c.matched.lower().split())
    ]
    assert bool(from_books) is books, [(c.id, c.matched) for c in read]


def test_a_verb_the_capability_uses_stays_its_own(engine: Engine) -> None:
    """ "to budget" is budgeting: its synonyms use "budget" as a verb ("budget for next year")."""
    read = [c.id for c in engine.interpret(Need("need a simple app to budget")).capabilities]
    assert "budgeting-forecasting" in read
