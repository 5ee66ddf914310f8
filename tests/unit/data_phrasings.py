"""Three German phrasings per service of the reference city (issue: responsibilities).

Written as citizens ask, not copied from services.yml: colloquial, with typos, as
situations. Used by the matcher tests (and the end-to-end responsibility test).
"""

PHRASINGS: dict[str, list[str]] = {
    "personalausweis": [
        "Wo beantrage ich einen neuen Perso?",
        "mein personalausweis ist abgelaufen, wohin?",
        "Ich brauche einen neuen Ausweis",
    ],
    "reisepass": [
        "Wo bekomme ich einen Reisepass?",
        "reisepaß beantragen wo",
        "Mein Pass läuft ab, wer macht den neu?",
    ],
    "kinderreisepass": [
        "Kinderreisepass beantragen",
        "Wir brauchen einen Kinderpass für den Urlaub",
        "wo gibts den kinderreisepass",
    ],
    "wohnsitz_anmelden": [
        "Ich bin neu in Musterstadt zugezogen, wo melde ich mich an?",
        "Wohnung anmelden nach Zuzug",
        "Wo kann ich meinen Hauptwohnsitz anmelden?",
    ],
    "wohnsitz_ummelden": [
        "Ich bin innerhalb der Stadt umgezogen, wo muss ich hin?",
        "Ummeldung neue Adresse",
        "Wo mache ich die Adressänderung nach dem Umzug?",
    ],
    "wohnsitz_abmelden": [
        "Ich ziehe ins Ausland, wo melde ich mich ab?",
        "Abmeldung wegen Wegzug",
        "wir wandern aus, wer ist zuständig fürs abmelden",
    ],
    "meldebescheinigung": [
        "Ich brauche eine Meldebescheinigung",
        "Wo bekomme ich einen Meldenachweis?",
        "wohnsitzbescheinigung für den Arbeitgeber",
    ],
    "fuehrungszeugnis": [
        "Wo beantrage ich ein Führungszeugnis?",
        "polizeiliches führungszeugnis für neuen job",
        "Brauche ein Fuehrungszeugnis für den Verein",
    ],
    "beglaubigung": [
        "Wer kann mir Kopien beglaubigen?",
        "Ich brauche eine beglaubigte Kopie meines Zeugnisses",
        "beglaubigung von dokumenten wo",
    ],
    "geburtsurkunde": [
        "Wo bekomme ich eine Geburtsurkunde?",
        "Unser Baby ist geboren, was müssen wir tun?",
        "Geburtsurkunde neu ausstellen lassen",
    ],
    "eheschliessung": [
        "Wir wollen heiraten, wo melden wir das an?",
        "Hochzeit anmelden Standesamt",
        "Wer ist für die Trauung zuständig?",
    ],
    "sterbefall": [
        "Mein Vater ist verstorben, wo bekomme ich die Sterbeurkunde?",
        "Todesfall melden wo",
        "sterbefall beurkunden lassen",
    ],
    "namensaenderung": [
        "Ich möchte meinen Nachnamen ändern",
        "Wo mache ich eine Namensänderung?",
        "namenserklärung nach der hochzeit",
    ],
    "kirchenaustritt": [
        "Wo kann ich aus der Kirche austreten?",
        "Kirchenaustritt erklären wo",
        "Austritt Kirche wer ist zuständig",
    ],
    "einkommensteuer": [
        "Wo gebe ich meine Steuererklärung ab?",
        "Frage zur Einkommensteuer",
        "wer ist für die lohnsteuer zuständig",
    ],
    "arbeitslosengeld": [
        "Ich habe meinen Job verloren, wo beantrage ich Arbeitslosengeld?",
        "ALG beantragen",
        "arbeitslos gemeldet werden wo",
    ],
    "rente": [
        "Wo beantrage ich meine Rente?",
        "Rentenantrag stellen",
        "Ich gehe bald in Rente, wer ist zuständig?",
    ],
    "hundesteuer": [
        "Wo melde ich meinen Hund an?",
        "Hundesteuer bezahlen wo",
        "Wir haben einen Welpen, muss ich den anmelden?",
    ],
    "grundsteuer": [
        "Fragen zur Grundsteuer",
        "Wer ist für die Grundsteuer zuständig?",
        "grundbesitzabgaben wer",
    ],
    "gewerbe_anmelden": [
        "Wo bekomme ich einen Gewerbeschein?",
        "Ich möchte mich selbstständig machen",
        "Kleingewerbe anmelden",
    ],
    "gewerbe_abmelden": [
        "Ich möchte mein Gewerbe abmelden",
        "Gewerbeabmeldung wo",
        "gewerbe aufgeben was muss ich tun",
    ],
    "gaststaettenerlaubnis": [
        "Wir machen ein Straßenfest und wollen Bier ausschenken",
        "Gaststättenerlaubnis beantragen",
        "Ich will eine Kneipe eröffnen, wer ist zuständig?",
    ],
    "kfz_zulassen": ["Wo kann ich mein Auto anmelden?", "Neuwagen zulassen", "kfz-zulassung wo"],
    "kfz_abmelden": [
        "Ich will mein Auto abmelden",
        "Fahrzeug außer Betrieb setzen",
        "stilllegung vom motorrad wo",
    ],
    "wunschkennzeichen": [
        "Kann ich ein Wunschkennzeichen reservieren?",
        "nummernschild reservieren",
        "Wunschkennzeichen wo",
    ],
    "fuehrerschein": [
        "Ich muss meinen Führerschein umtauschen",
        "Wo beantrage ich einen internationalen Führerschein?",
        "lappen umtauschen wo",
    ],
    "anwohnerparkausweis": [
        "Wo bekomme ich einen Anwohnerparkausweis?",
        "Bewohnerparkausweis beantragen",
        "parkausweis für anwohner",
    ],
    "schrottfahrzeug": [
        "Wer ist für Schrottautos zuständig?",
        "Hier steht seit Wochen ein Autowrack",
        "abgemeldetes auto auf der straße melden",
    ],
    "laermbelaestigung": [
        "Meine Nachbarn machen ständig Lärm",
        "Ruhestörung melden",
        "wo beschwere ich mich über lärmbelästigung",
    ],
    "falschparker": [
        "Jemand hat meine Einfahrt zugeparkt",
        "Falschparker melden",
        "wer kümmert sich um parkverstöße",
    ],
    "halteverbot_umzug": [
        "Ich ziehe nächsten Monat um und brauche Platz für den Umzugswagen",
        "Halteverbotszone beantragen",
        "halteverbot für umzug wo",
    ],
    "sondernutzung": [
        "Ich brauche eine Genehmigung für ein Gerüst auf dem Gehweg",
        "Container auf der Straße abstellen",
        "Sondernutzungserlaubnis beantragen",
    ],
    "schlagloch": [
        "Wo melde ich ein Schlagloch?",
        "Die Straßenbeleuchtung ist defekt",
        "kaputte straße melden",
    ],
    "wilder_muell": [
        "Wer kümmert sich um wilden Müll im Wald?",
        "Da hat jemand Müll abgeladen",
        "illegale müllablagerung melden",
    ],
    "baustellen_auskunft": [
        "Ich brauche eine Baustellenauskunft",
        "Wer gibt Baustelleninformation?",
        "auskunft baustelle wer ist zuständig",
    ],
    "fundsache": [
        "Ich habe meinen Schlüssel verloren",
        "Ich habe eine Geldbörse gefunden, wo gebe ich die ab?",
        "Fundsache abholen",
    ],
    "sperrmuell": [
        "Wie kann ich Sperrmüll anmelden?",
        "Ich will mein altes Sofa entsorgen",
        "sperrmuell abholung",
    ],
    "muelltonne": [
        "Ich brauche eine größere Mülltonne",
        "Biotonne bestellen",
        "Papiertonne tauschen wo",
    ],
    "baugenehmigung": [
        "Ich will einen Carport bauen, brauche ich eine Genehmigung?",
        "Bauantrag stellen",
        "baugenehmigung für anbau",
    ],
    "wohngeld": [
        "Wo beantrage ich Wohngeld?",
        "Zuschuss zur Miete beantragen",
        "mietzuschuss wer ist zuständig",
    ],
    "wohnberechtigungsschein": [
        "wo krieg ich nen WBS",
        "Wohnberechtigungsschein beantragen",
        "Ich suche eine Sozialwohnung, was brauche ich?",
    ],
    "grundsicherung": [
        "Grundsicherung im Alter beantragen",
        "Wer ist für Sozialhilfe zuständig?",
        "grundsicherung bei erwerbsminderung",
    ],
    "kitaplatz": [
        "Ich suche einen Kitaplatz",
        "Wo melde ich mein Kind im Kindergarten an?",
        "betreuungsplatz für krippe",
    ],
    "elterngeld": [
        "Wo beantrage ich Elterngeld?",
        "ElterngeldPlus beantragen",
        "elterngeld wer zuständig",
    ],
    "unterhaltsvorschuss": [
        "Ich bin alleinerziehend und bekomme keinen Unterhalt",
        "Unterhaltsvorschuss beantragen",
        "unterhaltsvorschuss wo",
    ],
    "aufenthaltstitel": [
        "Wo verlängere ich meine Aufenthaltserlaubnis?",
        "Aufenthaltstitel beantragen",
        "niederlassungserlaubnis wer zuständig",
    ],
    "einbuergerung": [
        "Ich möchte mich einbürgern lassen",
        "Wie bekomme ich die deutsche Staatsbürgerschaft?",
        "Einbürgerung beantragen",
    ],
    "verpflichtungserklaerung": [
        "Meine Familie will mich aus dem Ausland besuchen",
        "Verpflichtungserklärung abgeben",
        "einladung für visum wo",
    ],
    "bibliotheksausweis": [
        "Wo bekomme ich einen Bibliotheksausweis?",
        "Ich möchte Bücher ausleihen",
        "büchereiausweis kosten",
    ],
}
