from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T14:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "example services and canned replies"

# Demo entries only, visibly marked: no phone number, address or hours is ever made up for a
# real organisation. An admin replaces them with checked details or deactivates them.
EXAMPLE = "Shembull / Example: "
SERVICES = [  # (name, kind, county id, municipality id); no county = national
    (EXAMPLE + "Njësia për Mbrojtjen e Fëmijëve (NJMF), Bashkia Tiranë", "child_protection",
     "tirane", "tirane"),
    (EXAMPLE + "Njësia për Mbrojtjen e Fëmijëve (NJMF), Bashkia Shkodër", "child_protection",
     "shkoder", "shkoder"),
    (EXAMPLE + "Njësia për Mbrojtjen e Fëmijëve (NJMF), Bashkia Vlorë", "child_protection",
     "vlore", "vlore"),
    (EXAMPLE + "Agjencia Shtetërore për të Drejtat dhe Mbrojtjen e Fëmijës (ASHDMF)",
     "child_protection", "", ""),
]

CANNED = {
    "sq": [
        ("Faleminderit që na shkrove",
         "Faleminderit që na shkrove. Bëre shumë mirë që na e tregove. Nuk je vetëm: ne jemi "
         "këtu për të të ndihmuar."),
        ("E lexuam raportin tënd",
         "E lexuam raportin tënd. Një këshilltar po merret me të tani dhe do të të shkruajë "
         "përsëri këtu sa më shpejt."),
        ("Të lidhëm me një shërbim",
         "Rastin tënd ia dërguam një shërbimi që mund të të ndihmojë nga afër. Punonjësit e "
         "tij mund të të kontaktojnë së shpejti. Ne jemi ende këtu: mund të na shkruash kur "
         "të duash."),
        ("Në rrezik? Telefono 112",
         "Nëse je në rrezik tani, telefono menjëherë 112. Nëse mundesh, shko në një vend të "
         "sigurt ose pranë një të rrituri që i beson."),
        ("Na trego më shumë me kodin",
         "Nëse dëshiron të na tregosh më shumë, hap „Kontrollo raportin tim“ dhe shkruaj kodin e "
         "raportit. Ne i lexojmë të gjitha mesazhet e tua."),
        ("Na telefono në 116 111",
         "Kur të duash, mund të na telefonosh në 116 111. Mund të flasësh me një këshilltar dhe "
         "nuk ke pse të thuash emrin tënd."),
    ],
    "en": [
        ("Thank you for telling us",
         "Thank you for writing to us. You did the right thing by telling us. You are not "
         "alone: we are here to help you."),
        ("We read your report",
         "We have read your report. A counsellor is working on it now and will write to you "
         "here again soon."),
        ("We told a service that can help",
         "We have passed your case to a service near you that can help. The people there may "
         "contact you soon. We are still here: you can write to us whenever you want."),
        ("In danger? Call 112",
         "If you are in danger right now, call 112 straight away. If you can, go to a safe "
         "place or stay close to an adult you trust."),
        ("Tell us more with your code",
         "If you want to tell us more, open “Check my report” and enter your report code. We "
         "read every message you send."),
        ("Call us on 116 111",
         "Whenever you want, you can call us on 116 111. You can talk to a counsellor, and you "
         "do not have to say your name."),
    ],
}


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="raporto", description=DESCRIPTION
    )

    async def add_examples():
        """Parameterised inserts: QueryString writes ? for SQLite and $n for PostgreSQL."""
        from piccolo.engine import engine_finder
        from piccolo.querystring import QueryString

        engine = engine_finder()
        for name, kind, county, municipality in SERVICES:
            await engine.run_querystring(QueryString(
                "INSERT INTO service (name, kind, county, municipality, phone, address, hours, "
                "public, example, active) VALUES ({}, {}, {}, {}, '', '', '', {}, {}, {})",
                name, kind, county, municipality, False, True, True))
        for language, replies in CANNED.items():
            for title, body in replies:
                await engine.run_querystring(QueryString(
                    "INSERT INTO canned_reply (language, title, body, active) "
                    "VALUES ({}, {}, {}, {})", language, title, body, True))

    manager.add_raw(add_examples)

    return manager
