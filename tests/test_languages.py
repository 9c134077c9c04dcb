"""Spanish, Portuguese, Russian, Italian and German: the language of an article, the rules of
each language, text handling beyond ASCII, and the figures on each language's first blind batch.

The held-out batches (tests/corpus/blind/*-2) are never read here: they are scored after the
rules are done, as the blind README says.
"""

from __future__ import annotations

import re
import sqlite3
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import select

from hsctwatch.language import decide, primary
from hsctwatch.rules import Document, Rules, Vocabulary
from hsctwatch.rules.evaluate import evaluate, load_corpus
from hsctwatch.rules.languages import LANGUAGE_FILE
from hsctwatch.rules.terms import phrase_regex
from hsctwatch.rules.views import split_sentences
from hsctwatch.stories.models import Store, Story

ROOT = Path(__file__).parent.parent
BLIND = Path(__file__).parent / "corpus" / "blind"
LANGUAGES = ("es", "pt", "ru", "it", "de")


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules.load()


# -- the language of an article -------------------------------------------------------------------


SPANISH = ("El trasplante autólogo de progenitores hematopoyéticos mantuvo sin brotes a la mayoría de los "
           "pacientes con esclerosis múltiple remitente recurrente, según un registro de centros de "
           "Argentina, Brasil y México presentado esta semana en Buenos Aires.")


def test_the_language_is_read_from_the_text_and_checked_against_the_page() -> None:
    check = decide("Registro latinoamericano", "", SPANISH, "es-MX")
    assert (check.code, check.detected, check.declared) == ("es", "es", "es")
    assert "the page says so, and the text agrees" in check.reason
    # a WordPress site left in English, publishing in Spanish: the text wins
    wrong = decide("Registro latinoamericano", "", SPANISH, ["en-US", "en_GB"])
    assert (wrong.code, wrong.declared) == ("es", "en")
    assert "although the page says en" in wrong.reason
    # too little text to tell: what the page says
    short = decide("Día 0", "", "Hoy.", "de-DE")
    assert short.code == "de" and "too short or unclear" in short.reason
    assert decide("", "", "", "pt_BR").code == "pt"
    assert decide("", "", "").code == ""


def test_language_tags_come_down_to_their_primary_language() -> None:
    assert [primary(t) for t in ("es-MX", "pt_BR", "EN", " ru ", "x-default", "", None, "de-DE-1996")] == [
        "es", "pt", "en", "ru", "", "", "", "de"]


def test_every_case_of_the_corpus_is_read_in_its_own_language() -> None:
    """Detection is checked against the case's labelled language, as against a page's lang."""
    for folder in [Path(__file__).parent / "corpus", *(BLIND / f"{code}-1" for code in ("en", *LANGUAGES))]:
        for case in load_corpus(folder):
            assert case.document.language == case.language, case.id


# -- rules per language ---------------------------------------------------------------------------


def test_each_language_has_a_rules_file_that_compiles(rules: Rules) -> None:
    folder = ROOT / "hsctwatch" / "rules"
    files = sorted(p.name for p in folder.glob("*.toml") if LANGUAGE_FILE.match(p.name))
    assert files == ["de.toml", "es.toml", "it.toml", "pt.toml", "ru.toml"]
    rules.check_languages()
    assert rules.languages == ["en", "de", "es", "it", "pt", "ru"]
    assert Vocabulary.load().languages == {"en": "English", "de": "German", "es": "Spanish", "it": "Italian",
                                           "pt": "Portuguese", "ru": "Russian"}


def test_each_language_file_triggers_every_tag_but_the_default_and_the_named_trials() -> None:
    """Tags are the same slugs in every language; each language's file says how it writes each
    of them (a trial's name is the same in every language, and `news` is what is left)."""
    main = tomllib.loads((ROOT / "hsctwatch" / "rules" / "rules.toml").read_text(encoding="utf-8"))
    wanted = {t["slug"] for t in main["tags"] if t["facet"] != "trial" and t["slug"] != "news"}
    for code in LANGUAGES:
        data = tomllib.loads((ROOT / "hsctwatch" / "rules" / f"{code}.toml").read_text(encoding="utf-8"))
        assert {t["slug"] for t in data["tags"]} == wanted, code
        assert data["language"]["code"] == code


def test_an_editor_adds_a_language_by_adding_a_file(tmp_path: Path) -> None:
    main = tmp_path / "my-rules.toml"
    main.write_text((ROOT / "hsctwatch" / "rules" / "rules.toml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    (tmp_path / "fr.toml").write_text('''
[language]
code = "fr"
name = "French"
endings = ["s", "e", "es"]

[procedure]
phrases = ["autogreffe de cellules souches hématopoïétiques", "greffe autologue"]

[ms]
phrases = ["sclérose en plaques"]
exact = ['\\bSEP\\b']

[[tags]]
slug = "cost"
phrases = ["coût", "prix"]
''', encoding="utf-8")
    rules = Rules.load(main)
    assert "fr" in rules.languages and "es" in rules.languages  # the shipped languages stay
    doc = Document(
        title="Greffe autologue et sclérose en plaques : le coût du traitement",
        text="L'autogreffe de cellules souches hématopoïétiques est proposée aux patients atteints "
             "de SEP très active. Le prix reste élevé, et le coût n'est pas toujours couvert.",
        language="fr")
    assert rules.relevance(doc).relevant
    assert "cost" in {t.slug for t in rules.tags(doc)}
    (tmp_path / "fr.toml").write_text('[language]\ncode = "fr"\n[[tags]]\nslug = "nonsense"\n',
                                      encoding="utf-8")
    with pytest.raises(ValueError, match=r"fr\.toml: tag 'nonsense' is not a tag of the main rules file"):
        Rules.load(main)


@pytest.mark.parametrize(("language", "title", "text", "relevant"), [
    ("es", "Día +9 en Puebla", "Me devolvieron mis células madre tras la quimio; mi neuróloga dice que "
     "el trasplante autólogo frena la esclerosis múltiple remitente recurrente.", True),
    ("es", "Trasplante autólogo en el mieloma", "El trasplante autólogo de progenitores hematopoyéticos "
     "sigue siendo el estándar en el mieloma múltiple y el linfoma.", False),
    ("pt", "Campo Grande (MS) faz mutirão de doadores de medula", "O MS quer cadastrar doadores de "
     "medula óssea para pacientes com leucemia.", False),
    ("ru", "Трансплантация при рассеянном склерозе", "В Пироговском центре пациентам с рассеянным "
     "склерозом проводят аутоТГСК после высокодозной химиотерапии.", True),
    ("it", "Sindrome metabolica (SM) dopo il trapianto", "La SM colpisce i bambini guariti dalla leucemia "
     "dopo un trapianto di cellule staminali ematopoietiche.", False),
    ("de", "Multiple Sklerose: autologe Stammzelltransplantation am UKE", "Patientinnen mit Multipler "
     "Sklerose erhalten am UKE eine autologe hämatopoetische Stammzelltransplantation (aHSZT).", True),
    ("de", "Cyberangriff: MS Exchange legt Klinik lahm", "Wegen einer Lücke in MS Exchange wurden "
     "Stammzelltransplantationen verschoben.", False),
])
def test_each_language_names_the_procedure_and_its_look_alikes(rules: Rules, language: str, title: str,
                                                                  text: str, relevant: bool) -> None:
    doc = Document(title=title, text=text, language=language)
    assert rules.relevance(doc).relevant is relevant, rules.relevance(doc).reasons


@pytest.mark.parametrize(("language", "title", "text"), [
    ("es", "Un nuevo tratamiento para la esclerosis múltiple agresiva", "Primero se recolectan y congelan "
     "las células madre de la sangre del paciente. Luego la quimioterapia apaga su sistema inmunitario, y "
     "durante dos semanas el paciente queda con las defensas muy bajas en una unidad de aislamiento."),
    ("pt", "Um ano depois: a minha esclerose múltipla parou", "Coletaram e congelaram as minhas células. "
     "Depois a quimio zerou o meu sistema imune e devolveram as células numa terça-feira."),
    ("it", "Sclerosi multipla: com'è andata", "Mi hanno raccolto e congelato le cellule, poi la chemio ha "
     "azzerato il mio sistema immunitario e me le hanno restituite."),
    ("de", "Mein Neustart gegen MS", "Erst wurden meine Zellen gesammelt und eingefroren. Nach der Chemo "
     "kamen meine eigenen Zellen zurück, und die weißen Blutkörperchen waren tagelang nicht messbar."),
    ("ru", "Рассеянный склероз: два года спустя", "Сначала собирали клетки, потом химия. Потом клетки "
     "вернули, и лейкоциты были на нуле неделю."),
])
def test_the_procedure_told_in_its_steps_in_the_writers_own_verbs(rules: Rules, language: str, title: str,
                                                                 text: str) -> None:
    """A press office or a diarist who never names the procedure tells it in verbs ("se recolectan y
    congelan", "собирали клетки", "kamen zurück"): each language's steps are found by their stems."""
    decision = rules.relevance(Document(title=title, text=text, language=language))
    assert decision.reasons[0].startswith("the transplant told in its steps"), decision.reasons


@pytest.mark.parametrize(("language", "title", "text"), [
    # the abbreviation in another sense, as the language's press writes it
    ("pt", "Hospital dosa bussulfano por LC-MS/MS antes do transplante", "A espectrometria de massas em "
     "tandem (MS/MS) ajusta a dose do bussulfano no condicionamento do transplante de medula de pacientes "
     "com leucemia."),
    ("ru", "В РС(Я) провели первую аутологичную трансплантацию стволовых клеток", "В Республике Саха "
     "(Якутия) врачи выполнили аутологичную трансплантацию гемопоэтических стволовых клеток пациенту "
     "с лимфомой."),
    ("it", "Dal reparto trapianti all'ambulatorio SM: le televisite passano a MS Teams", "Dal lunedì le "
     "visite a distanza dell'ospedale si fanno sulla piattaforma di Microsoft, per tutti i reparti."),
    # MS named only as the comparison ("unlike MS, where it has been studied")
    ("it", "Neuromielite ottica: un caso trattato con trapianto autologo", "A differenza della sclerosi "
     "multipla, in cui il trapianto autologo di cellule staminali ematopoietiche è stato studiato, nella "
     "neuromielite ottica (NMOSD) l'esperienza è limitata. La paziente ha ricevuto ciclofosfamide e ATG."),
    ("de", "Neuromyelitis optica: Stammzelltransplantation im Einzelfall", "Anders als bei der Multiplen "
     "Sklerose ist die autologe Stammzelltransplantation bei der Neuromyelitis optica (NMOSD) kaum "
     "untersucht. Unsere Patientin erhielt Cyclophosphamid und ATG."),
])
def test_other_senses_and_comparisons_stay_out_in_every_language(rules: Rules, language: str, title: str,
                                                                 text: str) -> None:
    decision = rules.relevance(Document(title=title, text=text, language=language))
    assert not decision.relevant, decision.reasons


@pytest.mark.parametrize(("language", "heading"), [
    ("es", "Comentarios (3)"), ("es", "Deja una respuesta"), ("pt", "Comentários (12)"),
    ("pt", "Deixe um comentário"), ("ru", "Комментарии (4)"), ("ru", "Добавить комментарий"),
    ("it", "Commenti (2)"), ("it", "Lascia un commento"), ("de", "7 Kommentare"),
    ("de", "Kommentare (14) · Teilen"), ("de", "Schreibe einen Kommentar"),
])
def test_readers_comments_are_left_out_in_every_language(rules: Rules, language: str, heading: str) -> None:
    """Under a post about something else, readers who tell of their transplant for MS never make
    it relevant, whatever language the blog's platform prints its comments' heading in."""
    post = ("La vitamina D, il sole e una passeggiata al giorno: i miei consigli per l'estate con la SM, "
            "scritti dopo dieci anni di diagnosi e molte estati passate in casa per il caldo.")
    comments = ("Anna: I had aHSCT for my MS in Moscow, with cyclophosphamide and ATG, and autologous "
                "haematopoietic stem cell transplantation stopped my relapses.")
    doc = Document(title="Estate e SM: i miei consigli", language=language,
                   text=f"{post}\n\n{heading}\n\n{comments}")
    assert not rules.relevance(doc).relevant, rules.relevance(doc).reasons


@pytest.mark.parametrize(("language", "lines"), [
    ("es", ["El TAPH en la EM, explicado\nSalud · hace 2 semanas", "Rumbo a Puebla\nReportaje · hace 3 días",
            "El ensayo del trasplante\nCiencia · 14 de marzo de 2024", "Listas de espera\nSanidad · ayer"]),
    ("de", ["Stammzelltransplantation bei MS\n14.02.2024 · 8 Min. Lesezeit", "aHSCT im Ausland\nvor 3 Tagen",
            "Nach der Transplantation\n21. August 2023 · Ratgeber", "B-Zell-Therapien\ngestern · News"]),
    ("ru", ["Трансплантация при РС\n14 марта 2024 · Новости", "аутоТГСК в Москве\n2 дня назад",
            "Пересадка: год спустя\nвчера · Истории", "Кому подходит аутоТГСК\n3 января · Здоровье"]),
])
def test_a_list_of_articles_is_no_article_in_every_language(rules: Rules, language: str,
                                                            lines: list[str]) -> None:
    """An author's page or a topic page is told by its teasers' datelines, as each language writes
    its dates ("hace 2 semanas", "14.02.2024", "14 марта 2024")."""
    doc = Document(title="Autora", language=language, text="\n\n".join(lines))
    decision = rules.relevance(doc)
    assert decision.reasons[0].startswith("not an article"), decision.reasons


@pytest.mark.parametrize(("language", "intro", "questions"), [
    ("ru", "Невролог ответила на вопросы, которые пациенты стесняются задать на приёме.",
     ["— Кому вы предлагаете трансплантацию?", "— А при прогрессирующем течении?", "— Сколько ждать квоту?"]),
    ("it", "Le abbiamo girato le domande più frequenti dei lettori.",
     ["1. Posso fare il trapianto con una forma progressiva?", "2. E quanto si aspetta?", "3. Chi paga?"]),
])
def test_an_interview_is_told_by_the_questions_put_to_someone(rules: Rules, language: str, intro: str,
                                                              questions: list[str]) -> None:
    """Questions put to an expert without Q: and A: (a dialogue's dashes, numbered questions) are an
    interview when the piece says it put them, as its language says it."""
    answer = {"ru": "Это зависит от активности болезни и от того, какие препараты уже не помогли.",
              "it": "Dipende dall'attività della malattia e dai farmaci che non hanno funzionato."}[language]
    text = "\n\n".join([intro, *(f"{q}\n\n{answer}" for q in questions)])
    doc = Document(title="Трансплантация" if language == "ru" else "Trapianto", text=text, language=language)
    assert "interview" in {t.slug for t in rules.tags(doc)}


@pytest.mark.parametrize(("language", "title", "text"), [
    ("de", "RESET-MS: autologe Stammzelltransplantation gegen Ocrelizumab", "DRKS-ID: DRKS00000000\n"
     "Rekrutierungsstatus: rekrutierend\nStudientyp: interventionell\nGeplante Fallzahl: 120\n"
     "Primärer Endpunkt: Anteil der Patienten mit Multipler Sklerose ohne Krankheitsaktivität nach 2 Jahren\n"
     "Sekundäre Endpunkte: unerwünschte Ereignisse, schwere Infektionen, Todesfälle, Risiken der Behandlung"),
    ("pt", "TCTH autólogo versus ocrelizumabe na esclerose múltipla", "Identificador: RBR-0000\n"
     "Situação: recrutando\nTítulo científico: transplante autólogo de células-tronco hematopoéticas na "
     "esclerose múltipla\nDesfecho primário: sobrevida livre de atividade\nDesfechos secundários: eventos "
     "adversos, infecções graves, mortalidade relacionada ao transplante e risco de infertilidade"),
])
def test_a_registry_record_is_read_as_one_in_every_language(rules: Rules, language: str, title: str,
                                                            text: str) -> None:
    """The adverse events a registry record lists as endpoints, in its language's field names,
    are no discussion of the treatment's risks."""
    doc = Document(title=title, text=text, language=language)
    assert rules.relevance(doc).relevant
    assert "safety" not in {t.slug for t in rules.tags(doc)}


def test_a_hashtag_names_the_disease_run_into_its_words(rules: Rules) -> None:
    """A channel's post filed under "#мойРС" ("my MS") has MS in view, as one filed under "Мой РС"."""
    text = ("День −5. Первая капельница циклофосфана. День −4. Начали АТГ, температура 39. День 0. Сегодня "
            "вернули мои собственные клетки. День +3. Лейкоциты 0,3.")
    doc = Document(title="Неделя в боксе", text=text, language="ru", categories=("#мойРС", "#перезагрузка"))
    assert "MS named in the categories ('мой РС')" in rules.relevance(doc).reasons
    other = Document(title="Неделя в боксе", text=text, language="ru", categories=("#мойдневник",))
    assert not rules.relevance(other).relevant


def test_a_german_news_story_is_no_trial_guidance_or_interview_for_its_common_words(rules: Rules) -> None:
    """"Studie" is any study, "die Leitlinie" is named in passing, "Folgen" are consequences: none
    of these makes a news story a trial, a guidance document or a podcast's episode."""
    doc = Document(title="Autologe Stammzelltransplantation bei MS: was Studien zeigen", language="de", text=(
        "Eine Studie aus Schweden zeigt, dass die autologe Stammzelltransplantation bei Multipler Sklerose "
        "Schübe verhindern kann. Eine zweite Studie aus Italien kommt zu ähnlichen Ergebnissen.\n\n"
        "Die Leitlinie der Fachgesellschaft nennt das Verfahren bisher nur für Einzelfälle. Die Folgen der "
        "Chemotherapie seien nicht zu unterschätzen, sagt ein Neurologe. Eine dritte Studie läuft noch."))
    assert rules.relevance(doc).relevant
    assert not {"trial", "guidance", "interview"} & {t.slug for t in rules.tags(doc)}


def test_a_document_in_a_language_without_rules_is_read_with_the_main_rules(rules: Rules) -> None:
    assert rules.for_language("fr") is rules and rules.for_language("") is rules
    assert rules.for_language("es") is rules.for_language("es") is not rules


def test_the_steps_places_categories_and_focus_are_read_in_every_language(rules: Rules) -> None:
    """What the main rules read in English — the procedure told in its steps, the place it is
    done at, the post's categories, its source's focus — each language's file gives its words for."""
    diary = Document(title="Tag +9: die Leukos kommen", language="de", text=(
        "Seit 2016 habe ich schubförmige Multiple Sklerose.\n\n"
        "Das Cyclophosphamid war erträglicher als gedacht, das ATG hat mich umgehauen. "
        "Tag +5 brachte Fieber.\n\n"
        "Heute früh dann die Nachricht: Leukos 0,3! Die Mukositis nervt, aber es geht aufwärts."))
    decision = rules.relevance(diary)
    assert decision.relevant, decision.reasons
    assert "the transplant told in its steps: conditioning ('Cyclophosphamid')" in decision.reasons[0]
    # the same words without the disease's treatment: nothing told, nothing relevant
    school = Document(title="Tag +9", language="de", text="Heute Fieber. Morgen Schule.")
    assert not rules.relevance(school).relevant
    moscow = Document(title="Полгода после пересадки", language="ru", text=(
        "У меня рассеянный склероз с 2015 года, три препарата не помогли.\n\n"
        "Меня приняли в Москве на пересадку, и в марте я полетела туда с мамой. Пересадка изменила всё: "
        "за полгода ни одного обострения."))
    decision = rules.relevance(moscow)
    assert decision.relevant and decision.reasons[0] == "the transplant named by where it is done ('Москве')"
    trip = Document(title="Полгода спустя", language="ru", text=(
        "У меня рассеянный склероз с 2015 года.\n\nВ марте я полетела в Москву на выставку с мамой."))
    assert not rules.relevance(trip).relevant
    filed = Document(title="Diario, semana 2", language="es", categories=("Mi TAPH", "Esclerosis múltiple"),
                     text="Hoy me dieron el alta. El trasplante fue duro, pero volvería a hacerlo.")
    assert "read in the light of the categories ('Mi TAPH')" in rules.relevance(filed).reasons
    devoted = Document(title="Dia 12", language="pt", focus="hsct", text=(
        "Hoje os neutrófilos voltaram a subir e a equipe comemorou comigo. O condicionamento com "
        "ciclofosfamida foi pesado, mas passou. A minha esclerose múltipla foi o motivo de tudo isso."))
    decision = rules.relevance(devoted)
    assert decision.relevant and decision.reasons[-1].endswith("(the source is devoted to HSCT)")


def test_a_language_file_adds_to_the_kinds_of_page_and_names_them_as_written(tmp_path: Path) -> None:
    """A trigger's `not_in`, `not_with` and `where` name things: a language's endings never touch them."""
    main = tmp_path / "rules.toml"
    main.write_text((ROOT / "hsctwatch" / "rules" / "rules.toml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    (tmp_path / "fr.toml").write_text('''
[language]
code = "fr"
endings = ["s", "e", "es", "d"]

[page_forms.registry-record]
phrases = ["statut du recrutement", "critère principal", "type d'étude"]

[[tags]]
slug = "cost"
  [[tags.triggers]]
  phrases = ["coût du traitement"]
  where = ["title"]
  not_in = "registry-record"
''', encoding="utf-8")
    rules = Rules.load(main)
    french = rules.for_language("fr")
    forms = {f.slug: f for f in french.tag_rules}["cost"].triggers[-1]
    assert forms.where == frozenset({"title"}) and forms.not_in_min == 3  # the kind of page's own
    assert forms.not_in.search("Statut du recrutement : ouvert") and forms.not_in.search("critère principal")
    record = Document(title="Le coût du traitement", language="fr",
                      text="Statut du recrutement : ouvert.\n\nCritère principal : la survie sans "
                           "progression.\n\nType d'étude : interventionnelle.")
    page = Document(title="Le coût du traitement", language="fr", text="Une famille raconte.")
    assert "cost" not in {t.slug for t in rules.tags(record)}
    assert "cost" in {t.slug for t in rules.tags(page)}


# -- text beyond ASCII ----------------------------------------------------------------------------


def inflected(rules: Rules, language: str, phrase: str) -> re.Pattern[str]:
    """The regex a phrase of the language's own file becomes (inflected with its endings)."""
    from hsctwatch.rules.languages import _Inflection

    settings = rules.for_language(language).data["language"]
    inflection = _Inflection(tuple(settings["endings"]), settings["inflect"])
    return re.compile(phrase_regex(inflection.phrase(phrase)), re.IGNORECASE)


def test_inflected_forms_match_without_listing_their_endings(rules: Rules) -> None:
    russian = inflected(rules, "ru", "рассеянный склероз")
    forms = ("рассеянным склерозом", "рассеянного склероза", "рассеянном склерозе")
    assert all(russian.fullmatch(form) for form in forms)
    moscow = inflected(rules, "ru", "Москва")
    assert moscow.fullmatch("Москве") and moscow.fullmatch("Москвы") and not moscow.fullmatch("Московский")
    german = inflected(rules, "de", "Multiple Sklerose")
    assert german.fullmatch("Multipler Sklerose") and german.fullmatch("Multiplen Sklerose")
    spanish = inflected(rules, "es", "trasplante autólogo")
    assert spanish.fullmatch("trasplantes autólogos") and spanish.fullmatch("trasplante autóloga")
    portuguese = inflected(rules, "pt", "esclerose múltipla")
    assert portuguese.fullmatch("escleroses múltiplas")
    assert not inflected(rules, "es", "Puebla").fullmatch("pueblo")  # a name is taken as written
    assert not inflected(rules, "es", "cura").fullmatch("curso")  # a stem keeps four letters


def test_compound_tails_and_ending_lists_in_the_phrase_syntax() -> None:
    tail = re.compile(phrase_regex("*stammzelltransplantation"), re.IGNORECASE)
    assert tail.fullmatch("Blutstammzelltransplantation") and tail.fullmatch("Stammzelltransplantation")
    assert not tail.search("Stammzelltransplantationsplan")
    endings = re.compile(phrase_regex("trasplant{e|es}"), re.IGNORECASE)
    assert endings.fullmatch("trasplantes") and endings.fullmatch("trasplant")
    assert not endings.fullmatch("trasplantar")


def test_sentences_split_in_every_script() -> None:
    def split(text: str) -> list[str]:
        return [s.raw for s in split_sentences("body", 0, text, 0)]

    assert split("Hola. ¿Qué tal? ¡Bien!") == ["Hola.", "¿Qué tal?", "¡Bien!"]
    assert split("Я был там. — Правда? Да, т. е. почти.") == ["Я был там.", "— Правда?", "Да, т. е. почти."]
    assert split("Er sagte: „Nein.“ Dann ging er. Österreich folgt.") == [
        "Er sagte: „Nein.“", "Dann ging er.", "Österreich folgt."]
    assert split("Il est parti. être ou ne pas être") == ["Il est parti. être ou ne pas être"]


def test_words_in_cyrillic_and_accented_latin_are_whole_words(rules: Rules) -> None:
    ms = rules.for_language("ru").ms
    assert ms.search("у больных РС") and not ms.search("РСФСР")
    spanish = rules.for_language("es").procedure
    assert spanish.search("el TAPH en la EM") and not spanish.search("TAPHS-X")


# -- the figures on each language's first blind batch ---------------------------------------------


@pytest.mark.parametrize("language", ("en", *LANGUAGES))
def test_each_language_meets_its_targets_on_its_first_blind_batch(rules: Rules, language: str) -> None:
    """The targets of the languages work on the batch the rules were tuned on (the held-out
    batch is scored apart): relevance precision and recall 0.95 or more, tag micro-F1 0.85 or
    more; English no lower than before the languages came."""
    figures = evaluate(load_corpus(BLIND / f"{language}-1"), rules)
    assert set(figures["languages"]) == {language}
    if language == "en":
        assert figures["relevance"]["precision"] >= 0.904 and figures["relevance"]["recall"] >= 0.635
        assert figures["tags"]["f1"] >= 0.868
        return
    assert figures["relevance"]["precision"] >= 0.95 and figures["relevance"]["recall"] >= 0.95
    assert figures["tags"]["f1"] >= 0.85


# -- the store ------------------------------------------------------------------------------------


def test_a_store_made_before_languages_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    Store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as db:  # as a store at the revision before
        db.execute("DROP INDEX ix_articles_language")
        db.execute("ALTER TABLE articles DROP COLUMN language")
        db.execute("UPDATE alembic_version SET version_num = '0003'")
        db.execute("INSERT INTO articles (guid, link, source, title, summary, text, author, first_seen, "
                   "last_seen, content_hash, relevant, relevance_score, relevance_reasons, metadata, status, "
                   "note) VALUES ('g', 'https://x.org/a', 's', 't', '', '', '', '2026-01-01', "
                   "'2026-01-01', '', 0, 0, '[]', '{}', 'new', '')")
    store = Store(f"sqlite:///{path}")
    with store.session() as session:
        assert [a.language for a in session.scalars(select(Story))] == [""]
    store.close()
    with sqlite3.connect(path) as db:
        assert "ix_articles_language" in {row[1] for row in db.execute("PRAGMA index_list(articles)")}


# -- the feeds --------------------------------------------------------------------------------------


def test_feeds_publish_only_the_chosen_languages(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    import feedparser

    from hsctwatch.config import ConfigError, load_config
    from hsctwatch.stories.models import Copy
    from hsctwatch.stories.publish import build_feeds

    config_file = tmp_path / "hsct-watch.toml"
    config_file.write_text('[store]\nurl = "sqlite:///s.db"\n[feeds]\nlanguages = ["es", "de"]\n',
                           encoding="utf-8")
    config = load_config(config_file)
    assert config.feeds.languages == ("es", "de")
    store = Store(config.store_url)
    with store.session() as session:
        for n, language in enumerate(("en", "es", "de", "")):
            url = f"https://news.example.org/{n}/"
            when = datetime(2026, 3, n + 1, tzinfo=UTC)
            session.add(Story(guid=f"g{n}", link=url, source="news", title=f"Story {language or 'unknown'}",
                              relevant=True, language=language, published=when,
                              copies=[Copy(url=url, url_key=url, source="news", is_original=True)]))
    build_feeds(config)
    store.close()
    titles = [e.title for e in feedparser.parse((tmp_path / "public" / "rss.xml").read_bytes()).entries]
    assert titles == ["Story de", "Story es"]  # English, and stories of no known language (English): out
    assert sorted(p.name for p in (tmp_path / "public" / "lang").glob("*.xml")) == ["de.xml", "es.xml"]
    config_file.write_text('[feeds]\nlanguages = ["Spanish"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[feeds\] languages must be a list of language codes"):
        load_config(config_file)


@pytest.mark.parametrize(("language", "title", "text", "place"), [
    ("es", "Mi trasplante autólogo para la esclerosis múltiple",
     "Muchos pacientes viajan a clínicas de México o Rusia para el trasplante.", "mexico"),
    ("pt", "Meu transplante autólogo para a esclerose múltipla",
     "Muitos pacientes viajam para clínicas no México ou na Rússia para o transplante.", "mexico"),
    ("ru", "Моя аутоТГСК при рассеянном склерозе",
     "Многие пациенты едут на трансплантацию в клиники Мексики или Израиля.", "mexico"),
    ("it", "Il mio trapianto autologo per la sclerosi multipla",
     "Molti pazienti vanno in cliniche in Messico o in Russia per il trapianto.", "mexico"),
    ("de", "Meine autologe Stammzelltransplantation bei Multipler Sklerose",
     "Viele Patienten fliegen für die Transplantation in Kliniken nach Mexiko oder Russland.", "mexico"),
])
def test_two_places_joined_by_the_languages_or_are_where_people_go(rules: Rules, language: str, title: str,
                                                                    text: str, place: str) -> None:
    """"to Russia or Mexico" lists where people go, not where this treatment happens — in each
    language's own "or"; the same place named alone near the treatment is where it happens."""
    doc = Document(title=title, text=text, language=language)
    assert place not in {t.slug for t in rules.tags(doc)}
    alone = Document(title=title, text=re.sub(r" (?:o|ou|или|oder) .*$", ".", text), language=language)
    assert place in {t.slug for t in rules.tags(alone)}


def test_russian_yo_is_read_as_ye(rules: Rules) -> None:
    """"Горбачёвой" and "Горбачевой" are one name: writers put the dots or leave them."""
    doc = Document(title="День 0", language="ru", text=(
        "Я лежу в НИИ имени Горбачёвой, сегодня вернули мои клетки после кондиционирования."))
    assert "russia" in {t.slug for t in rules.tags(doc)}


def test_the_readers_own_country_named_once_is_no_place_of_treatment(rules: Rules) -> None:
    """"In Deutschland hat mich keine Klinik genommen": where the writer lives and was refused;
    a German city where the transplant happens is the place."""
    refused = Document(title="Ein Jahr nach der Stammzelltransplantation", language="de", text=(
        "In Deutschland hat mich keine Klinik für die Stammzelltransplantation genommen, also bin ich "
        "nach Mexiko gegangen."))
    assert "germany" not in {t.slug for t in rules.tags(refused)}
    treated = Document(title="Ein Jahr nach der Stammzelltransplantation", language="de", text=(
        "Die Uniklinik Münster hat mich für die Stammzelltransplantation angenommen."))
    assert "germany" in {t.slug for t in rules.tags(treated)}


def test_a_centre_as_the_posts_category_says_where_it_is(rules: Rules) -> None:
    """A diarist files her posts under the hospital she is treated at, as under its city."""
    doc = Document(title="Giorno +9", language="it", categories=("Diario", "San Raffaele"),
                   text="Oggi i neutrofili sono risaliti, dopo l'aplasia del trapianto.")
    assert "italy" in {t.slug for t in rules.tags(doc)}


@pytest.mark.parametrize(("language", "title", "text", "relevant"), [
    ("de", "Hochdosis, Tag 0 und warum MM nicht MS ist", "Heute war Tag 0: Nach Hochdosis-Melphalan bekam "
     "ich meine eigenen Stammzellen zurück, die autologe Stammzelltransplantation bei meinem Multiplen "
     "Myelom. Viele verwechseln MM mit MS. Die Multiple Sklerose ist aber eine Erkrankung der Nerven, das "
     "Myelom ein Blutkrebs.", False),
    ("es", "No es esclerosis múltiple: mi mieloma y el trasplante", "Hoy es el día 0 de mi trasplante "
     "autólogo de médula por el mieloma múltiple. Mucha gente confunde el mieloma con la esclerosis "
     "múltiple. El mieloma es un cáncer de la sangre.", False),
    ("ru", "Это не рассеянный склероз: моя миелома и трансплантация", "Сегодня нулевой день моей "
     "аутологичной трансплантации стволовых клеток при множественной миеломе. Многие путают миелому с "
     "рассеянным склерозом. Миелома — это рак крови.", False),
    # look-alike: a denial that is not of MS ("nicht MS-typisch") leaves an MS diary in
    ("de", "Tag 0: meine Stammzelltransplantation gegen die MS", "Heute war Tag 0 meiner autologen "
     "Stammzelltransplantation gegen die Multiple Sklerose. Nach Cyclophosphamid und ATG bekam ich meine "
     "Stammzellen zurück. Mein Neurologe sagt, ohne Schübe sei das nicht MS-typisch, aber gut so.", True),
])
def test_ms_denied_is_not_the_disease_a_transplant_diary_is_for(rules: Rules, language: str, title: str,
                                                               text: str, relevant: bool) -> None:
    """A myeloma patient's diary that says its disease is "nicht MS" ("MM" the myeloma's
    abbreviation) is about the myeloma: MS denied counts no more than MS compared."""
    decision = rules.relevance(Document(title=title, text=text, language=language))
    assert decision.relevant is relevant, decision.reasons


@pytest.mark.parametrize(("language", "text", "slug", "tagged"), [
    ("it", "A cinque anni dal trattamento, niente ricadute e niente nuove lesioni in gran parte dei "
     "pazienti: la malattia resta spenta anche senza farmaci.", "outcomes", True),
    ("it", "Nel gruppo trapiantato il numero di nuove lesioni si è ridotto di circa il 70% rispetto al "
     "mitoxantrone, e il tasso annualizzato di ricadute è stato più basso.", "outcomes", True),
    # look-alike: the relapses and lesions that make someone a candidate are no result
    ("it", "Il trapianto si propone a chi ha ricadute frequenti e nuove lesioni alla risonanza nonostante "
     "i farmaci.", "outcomes", False),
    ("de", "Aufgenommen werden Menschen im Alter 18–50 Jahre mit schubförmiger MS. Der EDSS 2,0–6,0 ist die "
     "zweite Bedingung.", "eligibility", True),
    ("de", "Der EDSS sollte nicht zu hoch sein. Wer die Kriterien erfüllt, bekommt die Behandlung auch "
     "bezahlt.", "eligibility", True),
    # look-alike: a score told as a result is no limit
    ("de", "Mein EDSS ist seit der Transplantation von 4,0 auf 3,0 gesunken, und ich gehe wieder ohne "
     "Stock.", "eligibility", False),
])
def test_results_and_limits_as_the_language_tells_them(rules: Rules, language: str, text: str, slug: str,
                                                      tagged: bool) -> None:
    """Results told as "niente ricadute", "la malattia resta spenta", fewer new lesions; the
    limits of who gets the transplant as a range ("EDSS 2,0–6,0") or a ceiling."""
    title = {"it": "Trapianto autologo di cellule staminali ematopoietiche nella sclerosi multipla",
             "de": "Autologe Stammzelltransplantation bei Multipler Sklerose"}[language]
    found = {t.slug for t in rules.tags(Document(title=title, text=text, language=language))}
    assert (slug in found) is tagged, found


def test_a_spanish_eu_register_record_lists_endpoints_not_risks(rules: Rules) -> None:
    """A trial's page in the EU register (CTIS) or the Spanish one (REEC) lists mortality and
    adverse events among its endpoints: that is a record's field, not a discussion of risk."""
    text = ("Título público: Trasplante autólogo de progenitores hematopoyéticos frente a natalizumab en "
            "esclerosis múltiple.\nTítulo científico: Ensayo aleatorizado del TAPH en esclerosis múltiple "
            "remitente-recurrente.\nNúmero de la UE (CTIS): 2025-500000-10-00\nPromotor: Hospital "
            "Universitario de ejemplo\nVariable principal: proporción de pacientes sin actividad a los 24 "
            "meses.\nVariables secundarias: acontecimientos adversos graves; infección; mortalidad "
            "relacionada con el tratamiento; seguridad a largo plazo.")
    doc = Document(title="TAPH frente a natalizumab", text=text, language="es")
    record = {t.slug for t in rules.tags(doc)}
    assert "safety" not in record, record
    # look-alike: the same risks told as a trial's results are safety
    told = ("En el ensayo, la mortalidad relacionada con el trasplante autólogo de progenitores "
            "hematopoyéticos fue del 0,3 %. Hubo infecciones graves en el 10 % de los pacientes con "
            "esclerosis múltiple, y la seguridad mejoró con el acondicionamiento de intensidad intermedia.")
    assert "safety" in {t.slug for t in rules.tags(Document(title="TAPH en la esclerosis múltiple", text=told,
                                                            language="es"))}


@pytest.mark.parametrize(("text", "story"), [
    ("Итоги 15 лет работы центра: через 8 лет после трансплантации у 70% пациентов нет обострений. "
     "Метод предлагают пациентам до 50 лет, более 5 лет наблюдения прошли 300 человек.", False),
    # look-alike: a patient named with her age is one person's story
    ("Дарье 24 года. Она прошла трансплантацию в Москве в 2022 году. Её невролог доволен: новых очагов "
     "нет. Она вернулась к работе, её болезнь не обостряется.", True),
])
def test_a_russian_span_of_years_is_no_persons_age(rules: Rules, text: str, story: bool) -> None:
    """"Дарье 24 года" tells of one person; "через 8 лет", "итоги 15 лет", "до 50 лет" are spans
    of time and limits in a centre's news, which do not make it a patient's story."""
    doc = Document(title="Итоги 15 лет: трансплантация стволовых клеток при рассеянном склерозе", text=text,
                   language="ru")
    assert ("patient-story" in {t.slug for t in rules.tags(doc)}) is story


# -- Spanish: the kinds of text the blind batches es-1…es-5 missed ----------------------------------


_RECAP = ("Hace mucho que no escribo. Varios me preguntaron por mensaje cómo sigo, así que aquí va el "
          "resumen de los seis meses, con calma y sin dramas.\n\n"
          "Para los que llegan nuevos: tengo 39 años y esclerosis múltiple remitente recurrente desde "
          "los 30. "
          "{named}\n\n"
          "Lo que nadie te cuenta es lo que viene después. Salí del hospital pensando que lo peor había "
          "pasado, pero la quimio me dejó sin energía durante meses.\n\n"
          "Ahora camino todos los días un poco más. Volví a la oficina a media jornada y mi jefa me "
          "deja trabajar desde casa los viernes. En abril tengo la próxima resonancia; les cuento.")


@pytest.mark.parametrize(("named", "relevant"), [
    ("En mayo el equipo del hospital aceptó hacerme el autotrasplante, y aquí sigo.", True),
    # look-alike: the same blog, where the transplant was only talked about
    ("Mi neuróloga me habló del autotrasplante, pero elegimos seguir con ocrelizumab.", False),
])
def test_a_spanish_diary_names_the_writers_own_transplant_once(rules: Rules, named: str,
                                                               relevant: bool) -> None:
    """A first-hand post that names the writer's own transplant once, in a recap for new readers,
    and then tells the months after is about it; a blog that only talks it over is not."""
    doc = Document(title="Seis meses después: siestas, oficina y paciencia", text=_RECAP.format(named=named),
                   language="es")
    decision = rules.relevance(doc)
    assert decision.relevant is relevant, decision.reasons


@pytest.mark.parametrize(("disease", "relevant"), [
    ("esclerosis múltiple remitente recurrente", True),
    # look-alike: the same diary's days, for a lymphoma
    ("un linfoma de Hodgkin que volvió", False),
])
def test_a_post_filed_under_the_transplant_diary_tells_it(rules: Rules, disease: str, relevant: bool) -> None:
    """A post filed under "Diario del trasplante" that names the autologous transplant in its text
    tells it: its days (Day +9, neutrophils at zero, isolation) are the transplant's."""
    text = ("Día +9. Los neutrófilos amanecieron en cero y las plaquetas en 12 mil. Anoche tuve fiebre y "
            "me cambiaron el antibiótico.\n\n"
            f"El médico dice que casi todos los que pasan por el autotrasplante por {disease} tienen fiebre "
            "en esta etapa, y que por eso seguimos encerrados.\n\n"
            "Tengo llagas en la boca y hoy solo comí gelatina. Nadie entra sin cubrebocas ni bata.\n\n"
            "Mañana les cuento si ya empezaron a subir los leucocitos.")
    doc = Document(title="Día +9: en cero", text=text, categories=("Diario del trasplante",), language="es")
    decision = rules.relevance(doc)
    assert decision.relevant is relevant, decision.reasons


@pytest.mark.parametrize(("text", "relevant"), [
    ("El trasplante autólogo de progenitores hematopoyéticos se hace en hospitales públicos para pacientes "
     "con esclerosis múltiple muy activa. No hay que confundirlo con las clínicas de células madre que "
     "venden inyecciones de células mesenquimales o de cordón umbilical: una cosa es el trasplante "
     "hematopoyético, con ensayos detrás, y otra son esas inyecciones, que no han demostrado nada.", True),
    # look-alike: a clinic selling the injections, with no contrast
    ("Nuestra clínica de células madre ofrece a pacientes con esclerosis múltiple inyecciones de células "
     "mesenquimales de cordón umbilical, un trasplante de células madre sin ingreso ni quimioterapia.",
     False),
])
def test_a_spanish_doctor_sets_hsct_apart_from_stem_cell_clinics(rules: Rules, text: str,
                                                                 relevant: bool) -> None:
    doc = Document(title="Trasplante de células madre y esclerosis múltiple", text=text, language="es")
    assert rules.relevance(doc).relevant is relevant, rules.relevance(doc).reasons


def test_a_chilean_school_year_is_no_ms(rules: Rules) -> None:
    """"3° EM" is a year of Chile's enseñanza media; a school project on bone marrow donation is out."""
    doc = Document(title="Alumnas de 4° EM presentan proyecto sobre trasplante de médula ósea",
                   text="Las estudiantes del 4° EM A explicaron cómo se hace un trasplante de médula ósea y "
                        "por qué hacen falta donantes. La quimioterapia previa y el injerto fueron parte de "
                        "la maqueta. Los cursos de 1° y 2° EM también participaron.", language="es")
    assert not rules.relevance(doc).relevant, rules.relevance(doc).reasons


@pytest.mark.parametrize(("text", "country", "tagged"), [
    # a press release's dateline is where it comes from
    ("Medellín, 2 de junio. — El Hospital Universitario realizó su primer trasplante autólogo de "
     "progenitores hematopoyéticos en una paciente con esclerosis múltiple.", "colombia", True),
    # ... but a hospital named after a country is not in it
    ("Me hicieron el TAPH en el Hospital Italiano de Buenos Aires, con un equipo de neuro y hemato.",
     "italy", False),
    ("Me hicieron el TAPH en el Hospital Italiano de Buenos Aires, con un equipo de neuro y hemato.",
     "argentina", True),
    # the language a page is in is not a country
    ("Información en español sobre el ensayo de trasplante autólogo para esclerosis múltiple que se hace "
     "en Chicago; la coordinadora habla español.", "spain", False),
    # a person's home town is not where she was treated
    ("Una ingeniera de Medellín viajó a Puebla para el trasplante de células madre.", "colombia", False),
    # a price set against other countries'
    ("El tratamiento costó unos 50.000 dólares, cuatro veces menos que en centros de Europa o Estados "
     "Unidos.", "usa", False),
    ("¿Dónde se hace en la Argentina? En pocos centros habilitados para el trasplante autólogo.",
     "argentina", True),
])
def test_where_a_spanish_text_says_the_treatment_happens(rules: Rules, text: str, country: str,
                                                         tagged: bool) -> None:
    doc = Document(title="Trasplante autólogo para la esclerosis múltiple", text=text, language="es")
    assert (country in {t.slug for t in rules.tags(doc)}) is tagged


@pytest.mark.parametrize(("text", "slug", "tagged"), [
    ("Con un seguimiento de tres años, ninguno de los 30 pacientes ha presentado nuevos brotes. La mayoría "
     "no vuelve a presentar brotes y una parte mejora en la escala EDSS.", "outcomes", True),
    # look-alike: relapses as what makes someone a candidate
    ("Se ofrece a quien tiene brotes frecuentes y lesiones nuevas a pesar de los fármacos. Si no hay "
     "tantos brotes, se sigue con la medicación.", "outcomes", False),
    ("Al tercer día empezaron las náuseas. El pelo se me empezó a caer el día +10 y tuve fiebre.",
     "safety", True),
    # "me cuesta" is an effort, not a price
    ("Me cuesta tragar y me costó mucho caminar hasta el baño. Hoy me cuesta hasta leer.", "cost", False),
    ("La EPS negó la autorización y hacerlo de manera particular costaría 250 millones de pesos.",
     "cost", True),
])
def test_results_side_effects_and_cost_as_spanish_tells_them(rules: Rules, text: str, slug: str,
                                                             tagged: bool) -> None:
    doc = Document(title="Trasplante autólogo de progenitores hematopoyéticos en la esclerosis múltiple",
                   text=text, language="es")
    found = {t.slug for t in rules.tags(doc)}
    assert (slug in found) is tagged, found


@pytest.mark.parametrize(("title", "text", "relevant"), [
    # the procedure's and the disease's abbreviations in other senses: oil in the soil, farm microbes
    ("Microorganismos eficaces (EM) bajan los TPH de un suelo petrolero",
     "Investigadores aplicaron microorganismos eficaces, conocidos como EM, a suelos con hidrocarburos "
     "totales de petróleo (TPH). Tras seis meses los TPH bajaron a la mitad y los EM se siguen aplicando "
     "cada quince días.", False),
    # look-alike: the same abbreviations in their own senses
    ("El TPH frena la EM agresiva en el hospital de la ciudad",
     "El trasplante autólogo de progenitores hematopoyéticos (TPH) se ofrece a pacientes con esclerosis "
     "múltiple (EM) muy activa. Tras el TPH, la mayoría no tuvo nuevos brotes.", True),
])
def test_spanish_abbreviations_in_other_senses(rules: Rules, title: str, text: str, relevant: bool) -> None:
    """"TPH" is also the oil a soil sample holds (hidrocarburos totales de petróleo) and "EM" the
    microbes of organic farming (microorganismos eficientes): spelled out so, they are not ours."""
    decision = rules.relevance(Document(title=title, text=text, language="es"))
    assert decision.relevant is relevant, decision.reasons


@pytest.mark.parametrize(("title", "text", "kind"), [
    # a hospital's press release on its programme: how many it has treated, its latest figures
    ("El hospital regional suma 150 autotrasplantes en esclerosis múltiple",
     "SALTA, 3 de mayo de 2025.— El Hospital Regional ya ha tratado a 150 pacientes con esclerosis múltiple "
     "mediante un trasplante autólogo de progenitores hematopoyéticos. Cada candidato debe hacerse estudios "
     "de sangre y una resonancia antes de ser aceptado. En el último análisis del programa, el 80 % de los "
     "pacientes seguía sin brotes a los tres años. «Es un tratamiento para pocos», dijo la jefa del "
     "servicio.", "news"),
    # look-alike: a study's own report, its cohort and its findings
    ("Trasplante autólogo en esclerosis múltiple: estudio de cohorte de 150 pacientes",
     "Objetivo: describir la eficacia del trasplante autólogo de progenitores hematopoyéticos en la "
     "esclerosis múltiple. Métodos: estudio retrospectivo que incluyó a 150 pacientes. Resultados: el 80 % "
     "de los pacientes seguía sin brotes a los tres años. Conclusiones: los investigadores observaron que "
     "el tratamiento es eficaz.", "research"),
    # a trial's take-part page, addressed to the reader, is the trial's, whatever study it names
    ("Estudio de trasplante autólogo para la esclerosis múltiple: buscamos voluntarios",
     "Nuestro hospital participa en un ensayo clínico de trasplante autólogo de células madre "
     "hematopoyéticas. Los participantes se asignan al azar a uno de dos grupos. Usted podría ser candidato "
     "si tiene entre 18 y 50 años. No podrá participar si tiene esclerosis múltiple primaria progresiva. "
     "Puede retirarse del estudio cuando quiera.", "trial"),
])
def test_a_spanish_programme_report_or_trial_page_is_no_study(rules: Rules, title: str, text: str,
                                                              kind: str) -> None:
    """A hospital's count of the patients it has treated ("ha tratado a 150 pacientes") and a
    patient's medical tests ("hacerse estudios de sangre") are no research; a trial's take-part
    page ("podría ser candidato", "se asignan al azar") is the trial's, not a study's findings."""
    types = {t.slug for t in rules.tags(Document(title=title, text=text, language="es"))
             if t.facet == "type"}
    assert types == {kind}, types


@pytest.mark.parametrize(("text", "slug", "tagged"), [
    # the transplant set against the drugs, none named
    ("El ensayo compara el trasplante autólogo con los mejores medicamentos disponibles. Queremos saber si "
     "es mejor que los fármacos más potentes. Muchos preguntan por qué no hacerlo en vez de tomar "
     "medicamentos.", "dmt-comparison", True),
    # look-alike: the drugs given during the transplant are not the drugs it is set against
    ("Durante el trasplante autólogo me dieron medicamentos para las náuseas. Después tomé fármacos para "
     "prevenir infecciones. La enfermera me explicó cada medicamento.", "dmt-comparison", False),
    # who it is for, one person at a time
    ("¿En qué casos se indica? A alguien menor de 45 años, con brotes. Ese es el perfil del paciente.",
     "eligibility", True),
    ("A los 45 años empecé con brotes; el perfil de mi enfermedad era muy activo.", "eligibility", False),
    # a result a patient tells: what she no longer has, the score her doctor lowered
    ("No tengo brotes desde el trasplante. Mi neuróloga me bajó la escala de discapacidad de 4 a 3.",
     "outcomes", True),
    ("Antes del trasplante tenía brotes cada pocos meses y la discapacidad subía.", "outcomes", False),
])
def test_spanish_drugs_eligibility_and_results_without_their_names(rules: Rules, text: str, slug: str,
                                                                   tagged: bool) -> None:
    doc = Document(title="Trasplante autólogo de progenitores hematopoyéticos en la esclerosis múltiple",
                   text=text, language="es")
    found = {t.slug for t in rules.tags(doc)}
    assert (slug in found) is tagged, found


@pytest.mark.parametrize(("text", "tagged"), [
    # the procedure told in its steps, not named, and where they were done
    ("Hoy hace un año que me devolvieron mis células en Medellín, después de la quimio.", True),
    # look-alike: where she lives
    ("Hoy hace un año que me devolvieron mis células. Desde entonces vivo en Medellín.", False),
])
def test_where_a_spanish_diary_had_its_cells_back(rules: Rules, text: str, tagged: bool) -> None:
    doc = Document(title="Un año después del trasplante autólogo", text=text, language="es")
    assert ("colombia" in {t.slug for t in rules.tags(doc)}) is tagged




@pytest.mark.parametrize(("title", "text", "relevant"), [
    ("Miastenia grave: due anni senza crisi dopo il trapianto autologo",
     "Un caso presentato al congresso regionale. Per anni scambiata per sclerosi multipla, la miastenia "
     "chiede altre terapie.\n\nUna donna di 35 anni, crisi ripetute nonostante rituximab e plasmaferesi. Il "
     "gruppo multidisciplinare ha proposto un trapianto autologo di cellule staminali ematopoietiche, con "
     "condizionamento a base di ciclofosfamide e globulina antitimocitaria.\n\nA due anni dal trapianto "
     "non ha avuto nuove crisi e ha sospeso i farmaci.", False),
    # look-alike: a headline naming MS and the disease it was first taken for is MS's
    ("Sclerosi multipla, non miastenia: due anni senza ricadute dopo il trapianto autologo",
     "Un caso presentato al congresso regionale. Per anni scambiata per miastenia, la sclerosi multipla "
     "chiede altre terapie.\n\nUna donna di 35 anni, ricadute ripetute nonostante natalizumab. Il gruppo "
     "multidisciplinare ha proposto un trapianto autologo di cellule staminali ematopoietiche, con "
     "condizionamento a base di ciclofosfamide e globulina antitimocitaria.\n\nA due anni dal trapianto "
     "non ha avuto nuove ricadute e ha sospeso i farmaci.", True),
])
def test_a_headline_naming_another_disease_says_whose_the_transplant_is(rules: Rules, title: str, text: str,
                                                                        relevant: bool) -> None:
    """A case report or a diary headed by another disease (NMOSD, myasthenia) names MS only as
    what the disease was first taken for: the MS in its lede does not make it about MS."""
    decision = rules.relevance(Document(title=title, text=text, language="it"))
    assert decision.relevant is relevant, decision.reasons


@pytest.mark.parametrize(("text", "relevant"), [
    ("Oggi le bocche sono due: la mia e quella dell'infermiera che ride.\n\nIl condizionamento con "
     "melfalan per il mio mieloma mi ha tolto la voce, le mie cellule sono tornate il giorno zero.\n\n"
     "Nella stanza accanto c'è un ragazzo con la sclerosi multipla che fa anche lui un trapianto con le sue "
     "cellule, e ci salutiamo dal vetro.", False),
    # look-alike: MS's own paragraph, two sentences naming the transplant, in a post of many diseases
    ("Oggi le bocche sono due: la mia e quella dell'infermiera che ride.\n\nIl condizionamento con "
     "melfalan per il mio mieloma mi ha tolto la voce, le mie cellule sono tornate il giorno zero.\n\n"
     "Nella stanza accanto c'è un ragazzo con la sclerosi multipla che fa anche lui un trapianto con le sue "
     "cellule. Il suo trapianto per la SM è alla seconda settimana, e la sua SM non dà ricadute.", True),
])
def test_one_sentence_of_ms_in_a_post_about_another_disease_is_an_aside(rules: Rules, text: str,
                                                                        relevant: bool) -> None:
    """A lymphoma or myeloma diary that names a roommate's transplant for MS in one sentence ("un
    trapianto con le sue cellule") is about its own disease however many names that sentence has."""
    decision = rules.relevance(Document(title="Giorno +6 dall'autotrapianto: il melfalan e il vicino",
                                        summary="Il mio autotrapianto, giorno dopo giorno.", text=text,
                                        language="it", categories=("Mieloma", "Autotrapianto")))
    assert decision.relevant is relevant, decision.reasons


@pytest.mark.parametrize(("text", "slug", "tagged"), [
    # the regimen as a diarist tells it: its drugs a few words apart, ATG by its Italian name
    ("Per chi arriva ora: a marzo tre giorni di ciclofosfamide e poi il siero antilinfocitario, con brividi "
     "e febbre. Oggi sto meglio.", "conditioning", True),
    # look-alike: the collection of the cells is no conditioning
    ("Oggi la mobilizzazione: filgrastim per cinque giorni, poi l'aferesi e la raccolta delle cellule, che "
     "ora sono congelate. Sto bene.", "conditioning", False),
    # a reporter's story of one person, who is named with her age and whose family raises the money
    ("Chiara, 31 anni, partirà per il Messico a maggio. La 31enne ha una forma aggressiva. Sua madre ha "
     "organizzato una raccolta fondi con gli amici del paese.", "patient-story", True),
    # look-alike: a centre's news of its patients tells no one person's story
    ("Il centro ha trattato 120 pazienti dal 2010. I pazienti seguiti a cinque anni sono stabili. Il "
     "programma accoglie persone da tutta Italia.", "patient-story", False),
])
def test_italian_regimens_and_reported_stories_as_they_are_written(rules: Rules, text: str, slug: str,
                                                                   tagged: bool) -> None:
    """A diary names the regimen's drugs a few words apart ("ciclofosfamide e poi il siero
    antilinfocitario"); a local paper follows one person by name, age and family ("Chiara, 31
    anni", "la 31enne", "sua madre") without the pronouns Italian leaves out."""
    doc = Document(title="Trapianto autologo di staminali per la sclerosi multipla", text=text, language="it")
    found = {t.slug for t in rules.tags(doc)}
    assert (slug in found) is tagged, found


@pytest.mark.parametrize(("text", "relevant"), [
    ("Due mondi diversi. Il trapianto autologo di cellule staminali ematopoietiche si fa in ematologia, "
     "dopo una chemioterapia ad alte dosi, e ha anni di dati nella sclerosi multipla.\n\nDall'altra parte "
     "le cliniche vendono iniezioni di cellule mesenchimali a 15 mila euro. Le mesenchimali non hanno prove "
     "nella SM.\n\nCome distinguere: il trapianto autologo richiede settimane di ricovero; le mesenchimali "
     "si iniettano in un giorno, e il tessuto adiposo da cui vengono non è sangue.", True),
    # look-alike: a clinic's own page for its injections, which never sets them against the transplant
    ("Le nostre cellule mesenchimali derivate dal tessuto adiposo si iniettano in un giorno, per la "
     "sclerosi multipla. Il trapianto autologo di cellule staminali ematopoietiche non serve: le "
     "mesenchimali riparano la mielina.\n\nLe mesenchimali del cordone ombelicale completano il ciclo, a "
     "15 mila euro. Prenota le tue iniezioni di cellule staminali.", False),
])
def test_a_warning_that_tells_the_transplant_from_the_clinics_is_in(rules: Rules, text: str,
                                                                    relevant: bool) -> None:
    """A neurologist's or a paper's warning sets the real transplant against the mesenchymal
    clinics in its own words ("due mondi", "come distinguere", "dall'altra parte"), not in a
    fixed contrast phrase; a clinic selling the injections does no such thing."""
    doc = Document(title="Staminali e sclerosi multipla", text=text, language="it")
    decision = rules.relevance(doc)
    assert decision.relevant is relevant, decision.reasons


@pytest.mark.parametrize(("text", "place", "tagged"), [
    # a study or a journal from elsewhere, and the trials under way elsewhere, are background
    ("Il centro di Firenze ha trattato 80 pazienti con il trapianto autologo. Uno studio americano del "
     "2019, pubblicato su una rivista americana, aveva già mostrato risultati simili. La risposta arriverà "
     "dagli studi randomizzati in corso in Europa e negli Stati Uniti.", "usa", False),
    ("Il trapianto autologo è studiato in Italia da anni. Gli studi paralleli nel Regno Unito e in "
     "Norvegia confrontano il trapianto con i farmaci.", "norway", False),
    # look-alike: the trial this piece is about is run there
    ("Negli Usa lo studio BEAT-MS confronta il trapianto autologo con i farmaci ad alta efficacia in "
     "centri universitari.", "usa", True),
])
def test_a_study_from_elsewhere_is_no_place_of_treatment_in_italian(rules: Rules, text: str, place: str,
                                                                    tagged: bool) -> None:
    """"Uno studio americano", "una rivista americana", "gli studi paralleli in Norvegia" are what
    an Italian piece sets its own centre's results beside, not where its treatment happens."""
    doc = Document(title="Trapianto autologo di staminali nella sclerosi multipla", text=text, language="it")
    assert (place in {t.slug for t in rules.tags(doc)}) is tagged


@pytest.mark.parametrize(("text", "tagged"), [
    # the public service's certified centres are where it is done
    ("In Italia il trapianto autologo per la SM viene eseguito in centri trapianto accreditati, a carico "
     "del Servizio sanitario nazionale.", True),
    # a Bologna diary names its hospital, not its city
    ("Un anno fa, nell'ematologia del Sant'Orsola, mi hanno restituito le mie staminali dopo la chemio.",
     True),
    # look-alike: the reader's own country where she lives, with a clinic abroad
    ("Vivo in Italia, ma il trapianto l'ho fatto in una clinica accreditata a Mosca.", False),
])
def test_italian_centres_and_certified_hospitals_say_italy(rules: Rules, text: str, tagged: bool) -> None:
    """"Centri accreditati" are Italy's certified transplant centres, where it is done, not an
    accreditation's name; the Sant'Orsola, the Gemelli, the Molinette name Italy by themselves."""
    doc = Document(title="Il trapianto autologo per la sclerosi multipla", text=text, language="it")
    assert ("italy" in {t.slug for t in rules.tags(doc)}) is tagged


@pytest.mark.parametrize(("text", "tagged"), [
    ("Sono tre anni che non ho una ricaduta, e le risonanze non mostrano niente di nuovo.", True),
    ("L'EDSS era 4 prima del trapianto, adesso è 2,5. Due anni, nessuna ricaduta e nessuna lesione.", True),
    ("Nei trapiantati le nuove lesioni si riducevano di quasi l'80%, e due pazienti su tre restano liberi "
     "da attività di malattia.", True),
    # look-alike: the relapses and lesions of the years before it are why it was done, not a result
    ("Negli anni prima del trapianto ho avuto tre ricadute e lesioni nuove a ogni risonanza.", False),
])
def test_italian_results_in_the_turns_patients_and_papers_use(rules: Rules, text: str, tagged: bool) -> None:
    """Results are told as what stopped ("non ho una ricaduta", "niente di nuovo"), a score then and
    now ("era 4, adesso è 2,5"), lesions that fell, or two results beside the years since."""
    doc = Document(title="Trapianto autologo di cellule staminali ematopoietiche nella sclerosi multipla",
                   text=text, language="it")
    assert ("outcomes" in {t.slug for t in rules.tags(doc)}) is tagged


@pytest.mark.parametrize(("text", "tagged"), [
    # paid for or referred when it applies, and a study's sample, say nothing of who it applies to
    ("Il trapianto, se indicato, lo paga il Servizio sanitario. Se c'è un'indicazione, il centro SM vi "
     "invierà a un'ematologia. I ricercatori hanno selezionato 142 pazienti.", False),
    # look-alike: who it is for, in so many words
    ("Il trapianto è indicato nei pazienti giovani con malattia attiva. I pazienti sono selezionati da "
     "una commissione, con criteri di idoneità precisi.", True),
])
def test_italian_if_it_applies_is_no_eligibility(rules: Rules, text: str, tagged: bool) -> None:
    """"Se indicato" and "se c'è un'indicazione" say what happens when the transplant applies, not
    to whom; "hanno selezionato 142 pazienti" is a study's sample."""
    doc = Document(title="Trapianto autologo di cellule staminali ematopoietiche nella sclerosi multipla",
                   text=text, language="it")
    assert ("eligibility" in {t.slug for t in rules.tags(doc)}) is tagged


def test_the_language_model_answers_as_py3langid_to_the_bit() -> None:
    """hsctwatch.language_model counts n-grams and widens the weights its own way: the scores
    of every language are py3langid's own, for the corpus in every language and odd texts."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from hsctwatch.language import _identifier

    plain = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    cases = load_corpus() + [c for lang in LANGUAGES for c in load_corpus(BLIND / f"{lang}-1")]
    texts = [f"{c.document.title}\n{c.document.summary}\n{c.document.text}"[:3000] for c in cases]
    texts += [SPANISH, "", " ", "a", "12345", "HELLO WORLD", "\x00\x01", "😀 ✓", "日本語のテキスト"]
    texts.append("x" * 5000)
    for text in texts:
        assert _identifier()._decide(text).tolist() == plain._decide(text).tolist(), text[:60]


_DIARY = ("Eccomi, scusate il silenzio. Ricapitolo per chi mi segue da poco.\n\n"
          "Il filgrastim me lo facevo da sola, nella pancia, tutte le sere; poi quattro ore attaccata alla "
          "macchina per l'aferesi, e mi hanno dato il via libera.\n\n"
          "Il dolore alle ossa c'è stato, come mi avevano detto: schiena e bacino, per quattro giorni. Il "
          "paracetamolo lo teneva a bada, e io sono rimasta sul divano con mia figlia e una serie tv.\n\n"
          "Lunedì la ciclofosfamide, una giornata di flebo e tanta acqua. Poi, a gennaio, rientro per la "
          "parte seria: ne parlerò a tempo debito. Per ora mi godo le cene normali.")


@pytest.mark.parametrize(("categories", "relevant"), [
    # the steps told as the writer's own, the transplant named only in the post's categories
    (("aHSCT", "SM"), True),
    # look-alike: the same diary's steps, for a lymphoma
    (("Autotrapianto", "Linfoma"), False),
])
def test_an_italian_diary_tells_the_writers_own_transplant_in_its_steps(rules: Rules,
                                                                        categories: tuple[str, ...],
                                                                        relevant: bool) -> None:
    """A first-hand diary that tells its steps as the writer's own ("il filgrastim me lo facevo da
    sola ... per l'aferesi", the apheresis a name of it in Italian) and names the transplant only
    in its categories is the policy's patient account; the same diary filed under a lymphoma is
    about that disease."""
    doc = Document(title="Raccolta fatta", text=_DIARY, language="it", categories=categories)
    decision = rules.relevance(doc)
    assert decision.relevant is relevant, decision.reasons
    assert any("own transplant" in r for r in decision.reasons) or not relevant


@pytest.mark.parametrize(("named", "relevant"), [
    ("Per chi arriva ora: a giugno all'ematologia mi hanno fatto il trapianto autologo, e sono ancora qui.",
     True),
    # look-alike: the same blog, where the transplant was only talked about
    ("La mia neurologa mi ha parlato del trapianto autologo, ma abbiamo scelto di restare con l'ocrelizumab.",
     False),
])
def test_an_italian_diary_names_the_writers_own_transplant_once(rules: Rules, named: str,
                                                                relevant: bool) -> None:
    """A first-hand post that names the writer's own transplant once ("mi hanno fatto il trapianto
    autologo") and tells the months after, with its chemotherapy, is about it; a blog that only
    talks it over is not."""
    text = ("È passato tanto dall'ultimo post. In tanti mi avete scritto per sapere come sto, quindi ecco "
            "il riassunto dei sei mesi.\n\n"
            f"Ho 37 anni e la sclerosi multipla da dieci. {named}\n\n"
            "Quello che nessuno ti dice è il dopo. Sono uscita dall'ospedale pensando che il peggio fosse "
            "passato, ma la chemio mi ha lasciata senza energie per mesi.\n\n"
            "Adesso cammino ogni giorno un po' di più. Sono tornata in ufficio a metà tempo e ad aprile ho "
            "la prossima risonanza; vi racconto.")
    doc = Document(title="Sei mesi dopo: pisolini, ufficio e pazienza", text=text, language="it")
    decision = rules.relevance(doc)
    assert decision.relevant is relevant, decision.reasons


@pytest.mark.parametrize(("text", "tagged"), [
    # a local paper follows one woman, the pronoun left out: accepted, her papers sent, her family
    ("Giulia ha 41 anni e una forma progressiva. Ha inviato la sua documentazione a una clinica di Mosca "
     "ed è stata accettata a marzo. La sua famiglia ha lanciato una raccolta fondi in paese.", True),
    # look-alike: a centre's news, where what is accepted is a request and the family is nobody's
    ("Il centro ha trattato 60 pazienti. La richiesta di finanziamento al ministero è stata approvata e il "
     "protocollo è stato aggiornato. Le famiglie possono chiedere informazioni allo sportello.", False),
])
def test_an_italian_reporter_follows_one_person_without_pronouns(rules: Rules, text: str,
                                                                 tagged: bool) -> None:
    """Fundraising news about one person is her story: Italian reporters leave "lei" out ("è stata
    accettata", "ha inviato la sua documentazione", "la sua famiglia"), so the story is told in
    the verbs and possessives, not the pronoun."""
    doc = Document(title="Raccolta fondi per il trapianto autologo contro la sclerosi multipla", text=text,
                   language="it")
    assert ("patient-story" in {t.slug for t in rules.tags(doc)}) is tagged


_APPEAL = ("Scrivo per mia cugina Sara, 34 anni, che ha la sclerosi multipla da otto anni e non riesce più a "
           "salire le scale da sola.\n\n"
           "I neurologi di Padova ci hanno spiegato che {named}\n\n"
           "{clinic}\n\n"
           "Il conto: 48.000 euro di trattamento, 3.000 euro di voli e alloggio a {city}, 2.500 euro per le "
           "visite al ritorno. Ogni euro sarà rendicontato qui.\n\n"
           "Se potete, donate; se non potete, condividete. Grazie a tutti.")


@pytest.mark.parametrize(("named", "clinic", "relevant"), [
    # an appeal for a named person's own transplant abroad, which names it once and then the clinic
    # that treats her and the money it asks for
    ("il trapianto autologo di staminali ematopoietiche in Italia per lei non è previsto.",
     "Per questo abbiamo scritto a una clinica di Mosca che tratta da anni anche le forme progressive: "
     "l'hanno accettata per l'autunno, servono 53.500 euro.", True),
    # look-alike: a raffle that names the transplant in passing, and sends the money to research
    ("il trapianto autologo è una delle strade di cui si parla.",
     "La lotteria di primavera del gruppo finanzia la ricerca dell'associazione e le attività del "
     "centro diurno: i biglietti costano due euro.", False),
    # look-alike: an appeal for injections of mesenchymal cells at a clinic abroad
    ("le staminali mesenchimali non sono rimborsate.",
     "Per questo abbiamo scritto a una clinica di Mosca che tratta con iniezioni di cellule mesenchimali "
     "derivate dal tessuto adiposo: servono 53.500 euro.", False),
])
def test_an_italian_appeal_for_ones_own_transplant_abroad_is_a_patient_story(rules: Rules, named: str,
                                                                            clinic: str,
                                                                            relevant: bool) -> None:
    """A fundraiser names the transplant once and then the clinic abroad, with what it treats and
    the money it asks for ("una clinica di Mosca che tratta ...", "servono 53.500 euro"): the
    place of the treatment tells the transplant, and the appeal is the person's story. A raffle
    for research and an appeal for mesenchymal injections stay out."""
    doc = Document(title="Aiutiamo Sara a fermare la sclerosi multipla", language="it",
                   text=_APPEAL.format(named=named, clinic=clinic, city="Mosca"))
    decision = rules.relevance(doc)
    assert decision.relevant is relevant, decision.reasons


def test_an_italian_appeal_for_a_transplant_for_another_disease_stays_out(rules: Rules) -> None:
    """The same appeal, for a lymphoma's transplant, is about that disease."""
    text = _APPEAL.format(city="Mosca",
                          named="il trapianto autologo di staminali per il suo linfoma in Italia non è "
                                "previsto.",
                          clinic="Per questo abbiamo scritto a una clinica di Mosca che tratta da anni il "
                                 "linfoma: l'hanno accettata, servono 53.500 euro.").replace(
        "la sclerosi multipla da otto anni", "un linfoma da due anni")
    doc = Document(title="Aiutiamo Sara a guarire dal linfoma", text=text, language="it")
    decision = rules.relevance(doc)
    assert decision.relevant is False, decision.reasons


@pytest.mark.parametrize(("text", "slug", "tagged"), [
    # a congress report: the data presented, a series, a rate of patients
    ("Al congresso un gruppo di Bologna ha presentato i dati della sua casistica, 120 pazienti con "
     "almeno cinque anni di follow-up. Otto pazienti su dieci restano liberi da ricadute. I dati "
     "presentati confermano il quadro noto.", "research", True),
    # look-alike: an anniversary whose data will be presented is news of an event
    ("Venerdì il centro festeggia vent'anni di trapianti. Saranno presentati anche i dati "
     "dell'esperienza del centro, e parleranno alcuni pazienti.", "research", False),
    # a site's take-part page: it recruits, screens, draws patients into an arm
    ("Il nostro centro recluta per lo studio. Chi può partecipare viene visto a una visita di screening. "
     "Chi entra nello studio viene assegnato per sorteggio a uno dei due gruppi.", "trial", True),
    # look-alike: a centre's news of its own patients is no trial
    ("Il nostro centro ha trattato 90 pazienti. Chi viene inviato dal neurologo fa una visita in "
     "ematologia. La maggior parte è tornata al lavoro.", "trial", False),
    # who pays, said once
    ("La procedura è interamente a carico del Servizio sanitario nazionale.", "cost", True),
    # look-alike: the service named for what it recommends, not what it pays
    ("Il Servizio sanitario nazionale ha pubblicato il suo percorso per i pazienti.", "cost", False),
    # deaths told with their cause, once
    ("Non ci furono decessi correlati alla procedura.", "safety", True),
    # look-alike: deaths of the disease, not of the treatment
    ("La sclerosi multipla riduce di qualche anno l'attesa di vita.", "safety", False),
    # results told in the past of a history
    ("Il trapianto ridusse dell'80% le nuove lesioni, e nessun paziente trapiantato mostrò lesioni "
     "captanti.", "outcomes", True),
    # look-alike: the lesions that were why it was done
    ("Prima del trapianto la risonanza mostrò lesioni captanti a ogni controllo.", "outcomes", False),
])
def test_italian_congress_reports_trial_sites_and_a_centres_news_are_tagged(rules: Rules, text: str,
                                                                           slug: str, tagged: bool) -> None:
    """A congress report tells a study as data presented, a series and a rate ("otto pazienti su
    dieci"); a site's page tells a trial by its way in (recruiting, screening, a draw into an arm);
    a centre's news says once who pays ("a carico del Servizio sanitario") and that nobody died of
    the procedure, and a history of an old trial tells its results in the passato remoto."""
    doc = Document(title="Trapianto autologo di staminali nella sclerosi multipla", text=text, language="it")
    found = {t.slug for t in rules.tags(doc)}
    assert (slug in found) is tagged, found


@pytest.mark.parametrize(("text", "relevant"), [
    # an explainer: the transplant told and weighed for MS over several paragraphs, the clinics in one
    ("Muchos pacientes preguntan si las células madre sirven para la esclerosis múltiple, y si lo que "
     "venden las clínicas, células mesenquimales o de cordón umbilical, es el mismo tratamiento.\n\n"
     "El trasplante autólogo de progenitores hematopoyéticos recoge las células de la sangre del propio "
     "paciente, las congela, aplica quimioterapia intensa y después se las devuelve.\n\n"
     "En la esclerosis múltiple remitente muy activa, el trasplante autólogo frena los brotes en la mayoría "
     "de los pacientes, según estudios con diez años de seguimiento.\n\n"
     "Sus riesgos son conocidos: infecciones durante la aplasia e infertilidad tras el trasplante "
     "autólogo.\n\n"
     "Las inyecciones de células mesenquimales o de tejido adiposo que anuncian algunas clínicas no "
     "tienen ensayos que las respalden.", True),
    # look-alike: a piece about the clinics, the real transplant named once in a paragraph of its own
    ("Las clínicas de células madre de la frontera venden infusiones de células mesenquimales a pacientes "
     "con esclerosis múltiple por 15 mil dólares.\n\n"
     "Las células mesenquimales de cordón umbilical se inyectan en un día, sin ingreso.\n\n"
     "El trasplante autólogo de progenitores hematopoyéticos es otro tratamiento, que se hace en "
     "hospitales.\n\n"
     "Cofepris alertó sobre las inyecciones de células madre mesenquimales sin registro.", False),
])
def test_an_explainer_about_the_transplant_that_warns_of_the_clinics_is_in(rules: Rules, text: str,
                                                                           relevant: bool) -> None:
    """Without any contrast phrase, an explainer that gives the transplant more paragraphs than the
    mesenchymal clinics it warns of is about the transplant; a piece about the clinics is not."""
    doc = Document(title="Células madre y esclerosis múltiple: cuáles funcionan", text=text, language="es")
    decision = rules.relevance(doc)
    assert decision.relevant is relevant, decision.reasons


@pytest.mark.parametrize(("text", "tagged"), [
    # the days of mobilisation and apheresis come before the regimen: they are not the conditioning
    ("Hoy fue el segundo día de aféresis. Llevo cinco días de filgrastim y me duelen los huesos.\n\n"
     "La movilización salió bien: la máquina me sacó suficientes células y ya están congeladas.", False),
    # look-alike: the regimen told in the writer's words, its drugs and doses
    ("Ayer terminé las dosis altas de ciclofosfamida. Hoy me pusieron el rituximab y mañana es el día "
     "cero.", True),
])
def test_spanish_apheresis_days_are_no_conditioning(rules: Rules, text: str, tagged: bool) -> None:
    """Filgrastim, mobilisation and apheresis collect the cells; the conditioning is the
    chemotherapy after them, named by its drugs or their doses."""
    doc = Document(title="Mi trasplante de células madre para la esclerosis múltiple", text=text,
                   language="es")
    assert ("conditioning" in {t.slug for t in rules.tags(doc)}) is tagged


@pytest.mark.parametrize(("text", "tagged"), [
    # a fundraising page: being accepted and the patient's own EDSS are facts of the story
    ("Me llamo Inés y en marzo me aceptaron en una clínica de Puebla para el trasplante. Fui aceptada "
     "después de mandar mis resonancias.\n\nHace un año llegué a un EDSS de 4 y hoy camino con bastón. "
     "Cualquier aporte nos acerca a la meta.", False),
    # look-alike: accepted for a reason, and the threshold the doctors go by, are its criteria
    ("Me aceptaron con un EDSS de 5,5 porque todavía tenía lesiones activas. En la clínica me explicaron "
     "que aceptan hasta un EDSS de 6 o menos.", True),
])
def test_being_accepted_in_a_spanish_story_is_no_eligibility(rules: Rules, text: str, tagged: bool) -> None:
    """"Me aceptaron" and "llegué a un EDSS de 4" tell the writer's story; who qualifies is told by
    a threshold or by the reason one was accepted or turned down."""
    doc = Document(title="Ayúdame a llegar a mi trasplante de células madre para la esclerosis múltiple",
                   text=text, language="es")
    assert ("eligibility" in {t.slug for t in rules.tags(doc)}) is tagged


@pytest.mark.parametrize(("text", "story"), [
    # a court report: the patient's facts come through what the judge and the parties said
    ("Un juez de Cali ordenó a la EPS autorizar el trasplante autólogo a una mujer que tiene 34 años. Ella "
     "fue diagnosticada con esclerosis múltiple en 2019 y sus brotes no cedieron con tres fármacos. Su "
     "neuróloga pidió el trasplante. Le diagnosticaron la forma más activa. Pasó un año esperando.\n\n"
     "Según el fallo, la EPS negó el procedimiento por su costo. El abogado de la paciente explicó que "
     "la tutela era la única vía. La EPS informó que apelará la decisión.", False),
    # look-alike: a feature told through the patient herself keeps her story
    ("Marta tenía 29 años cuando le diagnosticaron esclerosis múltiple. Ella fue tratada con tres "
     "fármacos sin éxito, y sus brotes seguían.\n\n"
     "Decidió pedir el trasplante autólogo. Viajó a Puebla con su madre y volvió en abril. Sus piernas "
     "responden mejor que hace un año.", True),
])
def test_a_spanish_court_report_on_a_patient_is_news(rules: Rules, text: str, story: bool) -> None:
    """A report that tells of a patient through its sources ("según el fallo", "explicó",
    "informó") is news; the same facts told as her own journey are her story."""
    doc = Document(title="Trasplante de células madre para la esclerosis múltiple", text=text, language="es")
    slugs = {t.slug for t in rules.tags(doc)}
    assert ("patient-story" in slugs) is story and ("news" in slugs) is not story, slugs


@pytest.mark.parametrize(("text", "tagged"), [
    # what other patients do, as an aside in a Colombian story, is not where this one is treated
    ("La tutela obliga a la EPS de Bogotá a pagar el trasplante autólogo en un hospital de Medellín. "
     "Muchos pacientes que no consiguen la autorización optan por viajar a México y pagarlo ellos.", False),
    # look-alike: the patient of the piece is treated there
    ("La paciente viajó a México para el trasplante autólogo en una clínica de Puebla.", True),
])
def test_where_other_patients_go_is_no_country_in_spanish(rules: Rules, text: str, tagged: bool) -> None:
    """"Muchos pacientes optan por viajar a México" is what others do; the piece's treatment is elsewhere."""
    doc = Document(title="Trasplante de células madre para la esclerosis múltiple", text=text, language="es")
    assert ("mexico" in {t.slug for t in rules.tags(doc)}) is tagged


@pytest.mark.parametrize(("named", "relevant"), [
    # the writer's transplant told as the time of the writer's past, the pronoun left out
    ("Quando leggevo i forum prima del trapianto autologo ero terrorizzata dalle storie peggiori.", True),
    # look-alike: a blog that only weighs it, in the conditional
    ("Prima del trapianto autologo vorrei provare ancora l'ocrelizumab, dice la mia neurologa.", False),
])
def test_an_italian_diary_tells_its_time_by_the_writers_transplant(rules: Rules, named: str,
                                                                   relevant: bool) -> None:
    """A diary months on that names the writer's transplant once, as the time of the writer's own
    past ("quando leggevo i forum prima del trapianto ero terrorizzata"), and tells the recovery,
    is about it; the same diary that weighs it for the future is not."""
    text = ("Oggi controllo dei sei mesi a Careggi, e come promesso vi aggiorno su come va.\n\n"
            "La mia risonanza è pulita e il mio neurologo è contento. La sclerosi multipla sembra ferma, e "
            "io ho ripreso a camminare al parco tutte le mattine con mio marito.\n\n"
            f"{named} La verità è nel mezzo: ci sono giorni buoni e giorni in cui la stanchezza vince.\n\n"
            "Sono tornata al lavoro part time e faccio fisioterapia due volte a settimana. Vi racconto "
            "il resto al prossimo controllo.")
    doc = Document(title="Sei mesi, un po' alla volta", text=text, language="it")
    decision = rules.relevance(doc)
    assert decision.relevant is relevant, decision.reasons


@pytest.mark.parametrize(("text", "tagged"), [
    # the regimen told as a diary tells it: the days counted down, the chemo, the antibodies
    ("Dal giorno -5 al giorno -2 ho fatto la chemio, e poi due flebo di anticorpi contro i linfociti.", True),
    ("La settimana col segno meno davanti ai giorni è stata la più dura: la BEAM e poi la timoglobulina.",
     True),
    # look-alike: the drug for MS, an antibody against B lymphocytes, after the chemo
    ("Dopo la chemio, il neurologo aveva parlato dell'ocrelizumab, un anticorpo contro i linfociti B.",
     False),
])
def test_an_italian_diary_tells_its_regimen_in_its_own_words(rules: Rules, text: str, tagged: bool) -> None:
    """A diary names its regimen by the days before the cells' return ("dal giorno -5 al giorno -2
    ho fatto la chemio") or as chemotherapy and then antibodies against lymphocytes: that is
    conditioning; an antibody against B lymphocytes is ocrelizumab, a drug for MS."""
    doc = Document(title="Diario del trapianto autologo per la sclerosi multipla", text=text, language="it")
    assert ("conditioning" in {t.slug for t in rules.tags(doc)}) is tagged


@pytest.mark.parametrize(("text", "tagged"), [
    # what it costs as Italian says it: the region's bill for patients sent away, the travel expenses
    ("Ogni paziente curato fuori regione pesa sulla mobilità passiva della Regione. A questo si "
     "aggiungono le spese di viaggio e alloggio delle famiglie.", True),
    # look-alike: the main file's "cost*" is also "costruito", "costretto", "costante"
    ("Il programma è stato costruito in due anni. I pazienti erano costretti a spostarsi, con un "
     "aumento costante delle richieste.", False),
])
def test_italian_costs_are_read_in_italian_words(rules: Rules, text: str, tagged: bool) -> None:
    """Italian tells the money as "spese" and "mobilità passiva" (what a region pays another for the
    patients it sends); "costruito", "costretto" and "costante" are no cost."""
    doc = Document(title="Trapianto autologo di cellule staminali ematopoietiche nella sclerosi multipla",
                   text=text, language="it")
    assert ("cost" in {t.slug for t in rules.tags(doc)}) is tagged


@pytest.mark.parametrize(("text", "tagged"), [
    # whom a centre keeps it for, and how patients are sent
    ("«Lo riserviamo a persone giovani, con una malattia ancora infiammatoria e una disabilità non "
     "avanzata», spiega la neurologa. I pazienti possono essere segnalati dai centri SM della regione.",
     True),
    # and the answer a patient got at home
    ("«Qui mi hanno detto di no», racconta Marco. «Prima fatevi valutare in un centro pubblico».", True),
    # look-alike: the same centre's news, no word of whom it is for
    ("«Abbiamo trattato dodici persone in due anni», spiega la neurologa. Sono stati segnalati due casi "
     "di tiroidite.", False),
])
def test_italian_eligibility_as_centres_and_patients_say_it(rules: Rules, text: str, tagged: bool) -> None:
    """Whom it is kept for ("lo riserviamo a persone giovani ... disabilità non avanzata"), how a
    patient is referred ("possono essere segnalati"), and the "no" a patient got are eligibility;
    side effects "segnalati" (reported) are not."""
    doc = Document(title="Trapianto autologo di cellule staminali ematopoietiche nella sclerosi multipla",
                   text=text, language="it")
    assert ("eligibility" in {t.slug for t in rules.tags(doc)}) is tagged


_INFO_PAGE = ("Che cos'è\nIl trapianto autologo usa una chemioterapia ad alte dosi e le cellule staminali "
              "della persona stessa.\n\nPer chi può essere indicato\nPer persone giovani con SM recidivante "
              "molto attiva.\n\nQuali rischi\nInfezioni nelle settimane dopo la chemioterapia.\n\nQuanto "
              "costa\nIn Italia è a carico del Servizio sanitario nazionale.\n\nPer saperne di più "
              "chiama il Numero Verde.")
_NEWS_PIECE = ("Il trapianto autologo usa una chemioterapia ad alte dosi e le cellule staminali della "
               "persona stessa. Al Policlinico sono già stati trattati dieci pazienti con SM recidivante "
               "molto attiva, racconta il primario. Per saperne di più c'è il sito del centro.")


@pytest.mark.parametrize(("text", "guidance"), [
    # a charity's page for patients, cut into its usual sections
    (_INFO_PAGE, True),
    # look-alike: a news piece with one "per saperne di più"
    (_NEWS_PIECE, False),
])
def test_an_italian_information_page_is_guidance(rules: Rules, text: str, guidance: bool) -> None:
    """An MS charity's page for patients is cut into "Che cos'è", "Per chi può essere indicato",
    "Quali rischi", "Quanto costa", "Per saperne di più": guidance; a news piece is news."""
    doc = Document(title="Trapianto autologo di cellule staminali ematopoietiche nella sclerosi multipla",
                   text=text, language="it")
    assert ("guidance" in {t.slug for t in rules.tags(doc)}) is guidance


@pytest.mark.parametrize(("text", "tagged"), [
    # the risks named by their kind, in one sentence
    ("«Comporta rischi reali, soprattutto infettivi, nelle settimane in cui le difese sono a zero».", True),
    # look-alike: real risks said in passing
    ("«È un trattamento intenso, con rischi reali, e adatto a pochi pazienti».", False),
])
def test_italian_risks_named_by_their_kind_are_safety(rules: Rules, text: str, tagged: bool) -> None:
    """One sentence that names the risks by their kind ("rischi ... soprattutto infettivi") is a
    word on safety; "rischi reali" in passing is not yet one."""
    doc = Document(title="Trapianto autologo di cellule staminali ematopoietiche nella sclerosi multipla",
                   text=text, language="it")
    assert ("safety" in {t.slug for t in rules.tags(doc)}) is tagged


@pytest.mark.parametrize(("text", "tagged"), [
    # a result told as the share of patients it holds for, or by a trial's arms
    ("Nelle persone con una forma molto attiva, una larga parte resta libera da ricadute per anni.", True),
    ("Nello studio la disabilità è peggiorata in pochi pazienti, con un miglioramento medio dell'EDSS nel "
     "braccio trapianto.", True),
    # look-alike: a quiet disease told as why a centre said no
    ("La risposta è stata no: EDSS troppo alto, nessuna lesione attiva, nessuna ricaduta da due anni.",
     False),
])
def test_italian_results_as_a_share_and_a_refusals_reasons(rules: Rules, text: str, tagged: bool) -> None:
    """A result told as the share it holds for ("una larga parte resta libera da ricadute") or by
    a trial's arms is outcomes; no relapse and no lesion as the reasons of a "no" are not."""
    doc = Document(title="Trapianto autologo di cellule staminali ematopoietiche nella sclerosi multipla",
                   text=text, language="it")
    assert ("outcomes" in {t.slug for t in rules.tags(doc)}) is tagged


@pytest.mark.parametrize(("after", "relevant"), [
    # the months after told in the perfect, the transplant called only "il trapianto", the hair lost
    ("Dopo il trapianto ho passato tre mesi sul divano e ho perso tutti i capelli.", True),
    # look-alike: the same diary, where the writer's hair went with a drug for MS
    ("Dopo il mitoxantrone ho passato tre mesi sul divano e ho perso tutti i capelli.", False),
])
def test_an_italian_diary_a_year_on_calls_it_the_transplant(rules: Rules, after: str, relevant: bool) -> None:
    """A diary a year on that calls it only "il trapianto", once, in the writer's own past ("dopo il
    trapianto ho passato tre mesi sul divano e ho perso tutti i capelli"), tells the writer's own
    transplant; the same months after another treatment do not."""
    text = ("Eccomi qui, un anno esatto. Mi avete scritto in tanti e vi rispondo tutti insieme.\n\n"
            f"{after} La mia sclerosi multipla però è ferma: nessuna ricaduta, la risonanza è pulita.\n\n"
            "Adesso lavoro di nuovo e faccio pilates due volte a settimana. Ho ancora paura a ogni "
            "controllo, ma va bene così. Grazie a tutti quelli che mi hanno sostenuta.")
    decision = rules.relevance(Document(title="Un anno dopo", text=text, language="it"))
    assert decision.relevant is relevant, decision.reasons


_OTHER_DIARY = ("Me preguntan a menudo por la cicatriz del catéter, así que aquí va mi historia.\n\n"
                "Me diagnosticaron {disease} a los 22 años. Probé de todo y nada me duraba más de unos "
                "meses.\n\n"
                "Mi médica me propuso un trasplante autólogo de células madre hematopoyéticas, lo mismo que "
                "se hace en algunos casos de esclerosis múltiple. Primero la movilización y la aféresis, "
                "luego la quimio con ciclofosfamida, el día cero y la mucositis en aislamiento.\n\n"
                "Un año después estoy mejor que nunca y puedo volver a trabajar.")


@pytest.mark.parametrize(("disease", "relevant"), [
    ("Crohn", False), ("colitis ulcerosa", False), ("artritis reumatoide", False),
    # look-alike: the same diary, for MS
    ("esclerosis múltiple", True),
])
def test_a_spanish_diary_names_its_other_disease_the_short_way(rules: Rules, disease: str,
                                                               relevant: bool) -> None:
    """Patients write "el Crohn", "la colitis ulcerosa" without "enfermedad de": a transplant diary
    for such a disease, naming MS once as another indication, is about that disease."""
    doc = Document(title=f"Después del trasplante: mi historia con {disease}",
                   text=_OTHER_DIARY.format(disease=disease), categories=("Mi historia",), language="es")
    decision = rules.relevance(doc)
    assert decision.relevant is relevant, decision.reasons
    if not relevant:
        assert decision.score < 0.3, decision.reasons


@pytest.mark.parametrize(("drug", "relevant"), [
    ("la segunda ronda de alemtuzumab", False), ("el segundo ciclo de cladribina", False),
    # look-alike: the same words of a diarist's own transplant
    ("el trasplante autólogo de células madre hematopoyéticas", True),
])
def test_a_spanish_immune_reset_is_no_step_of_the_transplant(rules: Rules, drug: str, relevant: bool) -> None:
    """"Resetear el sistema inmune" is what patients say of alemtuzumab and cladribine too: in a
    diary about one of them, naming the transplant once as declined, it does not tell the
    transplant."""
    text = (f"Hoy terminé {drug} y ya estoy en casa con las piernas arriba.\n\n"
            "Para quien no sepa: es un tratamiento para la esclerosis múltiple remitente recurrente muy "
            "activa. Muchos le dicen que resetea el sistema inmune, porque barre los linfocitos y deja "
            "que el cuerpo los vuelva a fabricar.\n\n"
            "Ahora vienen los controles de sangre cada mes y mucho descanso.\n\n"
            "Me preguntan por qué no me fui a hacer el trasplante de células madre a México. Lo hablé con "
            "mi neuróloga y decidí que no.")
    doc = Document(title="Ronda 2, día 3: se acabó", text=text, categories=("Mi EM", "Diario"), language="es")
    decision = rules.relevance(doc)
    assert decision.relevant is relevant, decision.reasons
    if not relevant:
        assert decision.score < 0.3, decision.reasons


@pytest.mark.parametrize(("text", "tagged"), [
    # the treatment in an Italian centre, the health service paying: Italy
    ("Il trapianto autologo si fa nei centri pubblici, a carico del Servizio sanitario nazionale, e la "
     "Asl rimborsa le visite di controllo.", True),
    # look-alike: the treatment abroad, the Italian health service named for what it would not pay
    ("Il trapianto autologo l'ho fatto a Mosca, al centro Pirogov. La Asl non ha autorizzato il rimborso "
     "perché in Italia si fa nel Servizio sanitario nazionale, e l'assicurazione italiana non copre "
     "niente.", False),
])
def test_the_italian_health_service_beside_a_treatment_abroad_is_no_italy(rules: Rules, text: str,
                                                                        tagged: bool) -> None:
    """"La Asl", "il SSN", "in Italia" in a piece whose treatment is abroad are the home the
    patient left or asked in vain; with no other country they are where it is done."""
    doc = Document(title="Trapianto autologo di cellule staminali ematopoietiche nella sclerosi multipla",
                   text=text, language="it")
    assert ("italy" in {t.slug for t in rules.tags(doc)}) is tagged


_DIARY_ONCE = ("Ciao a tutti, eccomi di nuovo qui dopo tanto silenzio. Mi avete scritto in tanti e vi chiedo "
               "scusa se non ho risposto a tutti.\n\n"
               "Sono passati otto mesi e vi devo un aggiornamento. Ho ripreso a guidare e la settimana "
               "scorsa sono andata al mare con le mie amiche. La stanchezza c'è ancora, soprattutto la "
               "sera.\n\n"
               "{named}\n\n"
               "Adesso cammino senza bastone e faccio fisioterapia due volte a settimana. Il mio neurologo "
               "dice che la risonanza è stabile. Vi abbraccio tutti e vi aggiorno al prossimo controllo.")


@pytest.mark.parametrize(("named", "relevant"), [
    # the writer's transplant named once by its own name, with nothing else of it told
    ("Per chi arriva ora: a marzo ho fatto il trapianto autologo per la mia sclerosi multipla.", True),
    ("Per chi arriva ora: a marzo ho fatto l'autotrapianto, dopo dieci anni di SM.", True),
    # look-alike: the same diary, the transplant only weighed for later
    ("Per chi arriva ora: il trapianto autologo per la mia sclerosi multipla forse lo farò più avanti.",
     False),
])
def test_an_italian_diary_names_its_own_autologous_transplant_once_with_a_margin(
        rules: Rules, named: str, relevant: bool) -> None:
    """A first-hand diary that names the writer's transplant once, by its name ("trapianto
    autologo", "autotrapianto"), and tells nothing else of it, is about it, and not barely:
    the score is clear of the threshold; the same diary weighing it for later is not."""
    decision = rules.relevance(Document(title="Otto mesi dopo", text=_DIARY_ONCE.format(named=named),
                                        language="it"))
    assert decision.relevant is relevant, decision.reasons
    if relevant:
        assert decision.score >= 0.55, decision.reasons


_ONE_PATIENT = ("Giulia, 34 anni, di Lecce, da tre anni non camminava più. Lo scorso ottobre è stata "
                "sottoposta a un trapianto autologo di cellule staminali ematopoietiche all'ospedale San "
                "Martino di Genova.\n\n"
                "La malattia le era stata diagnosticata a 22 anni e nessuna terapia era riuscita a fermarla. "
                "«Ero disperata», racconta.\n\n"
                "{after} Giulia cammina con le stampelle e ha ripreso a lavorare part time.")


@pytest.mark.parametrize(("after", "relevant"), [
    # the time since told by "l'intervento", as Italian prose avoids repeating "trapianto"
    ("Oggi, a un anno dall'intervento,", True),
    # look-alike: the same story where nothing refers back to it; named once, in the lede
    ("Oggi", False),
])
def test_an_italian_report_on_one_patient_refers_back_to_the_transplant(rules: Rules, after: str,
                                                                       relevant: bool) -> None:
    """A short news story about one patient names the transplant once and then tells the time
    since as "a un anno dall'intervento": that is a second mention, not a story that names it in
    passing."""
    doc = Document(title="Sclerosi multipla, Giulia torna a camminare",
                   text=_ONE_PATIENT.format(after=after), language="it")
    decision = rules.relevance(doc)
    assert decision.relevant is relevant, decision.reasons


@pytest.mark.parametrize(("text", "guidance"), [
    # a charity's page said to the reader: who can have it, how to ask, what to distrust
    ("Te explicamos qué es el trasplante autólogo y para quién puede ser una opción.\n\n"
     "El primer paso es hablarlo en consulta: tu neurólogo valorará si puedes ser candidata y, si lo "
     "cree oportuno, te deriva a la unidad de hematología de referencia.\n\n"
     "Desconfía de quien te ofrezca células madre sin quimioterapia en una clínica privada.", True),
    # look-alike: a news report of a hospital's programme, told in the third person
    ("El hospital ha tratado a 40 pacientes con esclerosis múltiple desde 2015. Los neurólogos "
     "seleccionan a los candidatos y el servicio de hematología realiza el trasplante autólogo.\n\n"
     "La mayoría sigue sin brotes, según el centro.", False),
])
def test_a_spanish_page_said_to_the_reader_is_guidance(rules: Rules, text: str, guidance: bool) -> None:
    """A charity's or a centre's page speaks to the reader ("tu neurólogo", "te deriva", "desconfía
    de"): what it tells is how to get the treatment, guidance; a report of a programme is news."""
    doc = Document(title="Trasplante de células madre y esclerosis múltiple", text=text, language="es")
    slugs = {t.slug for t in rules.tags(doc)}
    assert ("guidance" in slugs) is guidance and ("news" in slugs) is not guidance, slugs


@pytest.mark.parametrize(("text", "story"), [
    # a local report that follows one woman, named as the press names her
    ("Los vecinos de Maipú venden empanadas este domingo para ayudar a Javiera, profesora que desde "
     "2019 vive con esclerosis múltiple y quiere viajar a Monterrey para un trasplante autólogo.\n\n"
     "«Es la más alegre del barrio», dice una vecina. La colecta ya reunió la mitad del dinero.", True),
    # look-alike: a report on a hospital's patients, none followed
    ("En Chile unas 5.000 personas viven con esclerosis múltiple. El hospital ofrecerá el trasplante "
     "autólogo a los pacientes más graves desde marzo, informó el ministerio.", False),
])
def test_a_spanish_report_following_one_patient_is_her_story(rules: Rules, text: str, story: bool) -> None:
    """The press names the person a report follows as one who "vive con esclerosis múltiple": with her
    own disease in the headline, that is her story; people who live with MS in a report are not."""
    title = ("Vecinos apoyan a una joven a tratar su esclerosis múltiple" if story
             else "Un hospital ofrecerá el trasplante para la esclerosis múltiple")
    doc = Document(title=title, text=text, language="es")
    assert ("patient-story" in {t.slug for t in rules.tags(doc)}) is story


@pytest.mark.parametrize(("text", "tagged"), [
    # an Argentine patient names her centres the way Argentines do
    ("Mi neuróloga de FLENI me derivó al equipo de hematología del Italiano para el trasplante "
     "autólogo, y la obra social lo cubrió.", {"argentina"}),
    # look-alike: a study run in Florence stays Italian
    ("El trasplante autólogo se realizó en un hospital italiano de Florencia.", {"italy"}),
])
def test_spanish_names_of_argentine_centres_say_argentina(rules: Rules, text: str, tagged: set[str]) -> None:
    """"El Italiano" and FLENI are Buenos Aires centres: the country is Argentina, not Italy."""
    doc = Document(title="Trasplante para la esclerosis múltiple", text=text, language="es")
    assert {t.slug for t in rules.tags(doc)} & {"argentina", "italy"} == tagged


@pytest.mark.parametrize(("text", "tagged"), [
    # trials cited as under way elsewhere are neither this study's trial nor its country
    ("El registro sueco analizó 200 pacientes tratados con trasplante autólogo. No se trata de un "
     "ensayo aleatorizado, y los ensayos en marcha en Europa y Estados Unidos darán la respuesta.", False),
    # look-alike: the piece's own trial, run there
    ("El ensayo BEAT-MS, que recluta participantes en Estados Unidos, asigna al azar el trasplante "
     "autólogo o un fármaco de alta eficacia. El ensayo sigue abierto.", True),
])
def test_spanish_trials_cited_as_under_way_elsewhere(rules: Rules, text: str, tagged: bool) -> None:
    """"Los ensayos en marcha en Estados Unidos" are other trials: no `trial`, no `usa`."""
    doc = Document(title="Trasplante autólogo en la esclerosis múltiple", text=text, language="es")
    slugs = {t.slug for t in rules.tags(doc)}
    assert ("trial" in slugs) is tagged and ("usa" in slugs) is tagged, slugs


@pytest.mark.parametrize(("title", "relevant"), [
    # a diary day counted from the transplant, with the neurologist and the relapses, MS never named
    ("Día +12 del trasplante: ya subieron los neutrófilos", True),
    # look-alike: the same diary of a kidney transplant
    ("Día +12 del trasplante de riñón: ya subieron los neutrófilos", False),
])
def test_a_spanish_diary_day_that_never_names_ms(rules: Rules, title: str, relevant: bool) -> None:
    """"Día +12 del trasplante", a neurologist's visit and years of relapses: a first-hand post of the
    transplant whose disease is never named is the transplant for MS; a kidney's is not."""
    text = ("Hoy por fin me dieron la buena noticia: los neutrófilos ya están en 1.200 y mañana salgo de la "
            "habitación aislada.\n\nLa mucositis fue lo peor, no podía ni tragar agua. Ahora como puré. Mi "
            "neuróloga vino a verme y me dijo que lo peor ya pasó.\n\nGracias a todos los que me escriben. "
            "Yo llevo doce años con brotes y esto era mi última carta.")
    decision = rules.relevance(Document(title=title, text=text, language="es"))
    assert decision.relevant is relevant, decision.reasons


@pytest.mark.parametrize(("first", "relevant"), [
    # a year on, the writer's own transplant by its full name, no chemotherapy told again
    ("Hace un año me hicieron el TAPH en el Clínic. Hoy quiero contar cómo estoy.", True),
    # look-alike: the same year told after a drug
    ("Hace un año empecé con ocrelizumab en el Clínic. Hoy quiero contar cómo estoy.", False),
])
def test_a_spanish_diary_a_year_on_names_the_transplant_once(rules: Rules, first: str,
                                                              relevant: bool) -> None:
    """"Me hicieron el TAPH": the full name in the writer's own sentence says the treatment; a diary
    a year on need not tell the chemotherapy again."""
    text = (f"{first}\n\nNo he tenido brotes en todo el año y la resonancia salió limpia. Mi neuróloga "
            "está contenta.\n\nLa fatiga sigue, pero cada vez menos. Volví a nadar dos veces por semana y "
            "me apunté a yoga. Mi pareja dice que estoy de mejor humor; yo creo que tiene razón. Les iré "
            "contando.")
    decision = rules.relevance(Document(title="Un año después", text=text, language="es"))
    assert decision.relevant is relevant, decision.reasons
