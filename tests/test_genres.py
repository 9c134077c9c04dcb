"""The genres the feed is for, read the way their writers write: a diarist counting days from the
transplant, a forum poster naming the clinic's city, a press office describing the procedure
without naming it, a trial registry's fields, a Q&A; and the look-alikes that must stay out
(another disease's transplant diary, a donor's story, an MS drug post on a blog devoted to HSCT,
readers' comments, lists of teasers). The texts are written for these tests, not taken from the
labelled corpus, so that they check the rules' reading of a genre, not one case."""

from __future__ import annotations

import pytest

from hsctwatch.rules import Document, Rules


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules.load()


def doc(title: str, *paragraphs: str, summary: str = "", categories: tuple[str, ...] = (),
        focus: str = "") -> Document:
    return Document(title=title, summary=summary, text="\n\n".join(paragraphs), categories=categories,
                    focus=focus)


def slugs(rules: Rules, document: Document) -> set[str]:
    return {t.slug for t in rules.tags(document)}


# -- first-person treatment narratives -------------------------------------------------------------

DIARY_NO_NAME = doc(
    "Mobilisation week",
    "Quick update from the flat. The cyclophosphamide dose on Monday knocked me flat for two days, and "
    "now it's the G-CSF injections every morning, which make my bones ache.",
    "Apheresis is booked for Friday. If they collect enough stem cells in one go I get a week off "
    "before admission for the conditioning.",
    "My MS has been quiet this month, which is a small mercy. Thanks for all the messages.")
FORUM_HOME = doc(
    "Home from Puebla at last!",
    "Landed in Toronto last night. For anyone who followed my thread: cells went back in on the 3rd, "
    "counts came back on day +10 and they let me fly home on day +15.",
    "The relapsing MS fatigue is still there but honestly I feel better than I did before I left. Four "
    "weeks of chemo, fevers and hotel food and I'd still do it again.")
DAY_COUNT_BY_CATEGORY = doc(
    "+6",
    "Day +6. Neutrophils 0.1 this morning, so this is the zero week everyone warned me about.",
    "Temp up to 38.2 in the night, blood cultures and a new antibiotic. Mouth sore, mask on, door shut.",
    categories=("HSCT Moscow", "Day by day"))


@pytest.mark.parametrize("document", [DIARY_NO_NAME, FORUM_HOME, DAY_COUNT_BY_CATEGORY],
                         ids=["steps-without-a-name", "forum-cells-back-in", "day-count-filed-under-hsct"])
def test_a_treatment_told_in_its_steps_is_the_procedure(rules: Rules, document: Document) -> None:
    decision = rules.relevance(document)
    assert decision.relevant, decision.reasons


def test_the_reasons_show_the_steps_and_the_categories(rules: Rules) -> None:
    reasons = rules.relevance(DIARY_NO_NAME).reasons
    assert any(r.startswith("the transplant told in its steps: collection ('Mobilisation')") for r in reasons)
    assert "HSCT named in the headline ('Mobilisation')" in reasons  # a short name, with its steps
    reasons = rules.relevance(DAY_COUNT_BY_CATEGORY).reasons
    assert "HSCT named in the categories ('HSCT Moscow')" in reasons
    assert "MS taken as the disease: the post is filed under HSCT and names no other" in reasons


def test_a_forum_names_the_treatment_by_the_place_it_is_done(rules: Rules) -> None:
    thread = doc(
        "58 with SPMS – will anywhere take me?",
        "Has anyone over 55 been accepted for HSCT? My neuro says I'm too old for the NHS.",
        "Moscow has been known to take older patients with progressive MS if there's still activity on "
        "the scans. Send them your MRIs.",
        "Puebla will treat higher EDSS too, but they are honest that results in SPMS are weaker.",
        "I was 57 when Moscow accepted me. Four years on I've drifted a little but no relapses.")
    assert rules.relevance(thread).relevant


# -- descriptions of the procedure without its name -------------------------------------------------

@pytest.mark.parametrize("lede", [
    "The hospital will offer blood stem cell transplantation to people with aggressive multiple sclerosis.",
    "The treatment wipes out the immune system with chemotherapy and regenerates it from the patient's own "
    "blood stem cells, collected and frozen beforehand.",
    "Doctors will offer a high-dose immune therapy with stem cell rescue to people with highly active "
    "multiple sclerosis.",
])
def test_a_press_release_that_describes_the_procedure_is_about_it(rules: Rules, lede: str) -> None:
    release = doc(
        "University hospital to treat aggressive MS with patients' own stem cells", lede,
        "Patients spend about four weeks in hospital, in isolation while their counts recover, and the new "
        "immune system that grows back no longer attacks the nerves, the neurologists said.",
        "The treatment is for adults under 50 with relapsing MS who keep relapsing despite the best drugs.")
    decision = rules.relevance(release)
    assert decision.relevant, decision.reasons


# -- look-alikes that stay out ---------------------------------------------------------------------

LOOK_ALIKES = {
    "a lymphoma transplant diary": doc(
        "Day +7: the dip",
        "Day +7 after my stem cells went back in. BEAM was brutal and now I'm in the zero week, neutrophils "
        "nil, fevers, IV antibiotics.",
        "My haematologist says the lymphoma scan in three months will tell us whether this worked.",
        categories=("Transplant diary",)),
    "a myeloma diary naming a sister's MS": doc(
        "Melphalan and me",
        "Two days after high-dose melphalan, my myeloma team say the worst week is ahead. My own stem cells "
        "went back in yesterday and my counts will hit zero by Friday.",
        "My sister has MS and asked whether this is the same thing she read about. The myeloma transplant "
        "is for the cancer; hers would be a different protocol altogether.",
        "I'm in isolation now, and the myeloma nurses check my temperature every four hours."),
    "a donor's story": doc(
        "Why I donated my stem cells to a stranger",
        "Last month I gave my stem cells to a stranger with leukaemia. Five days of G-CSF injections, then "
        "six hours on the apheresis machine.",
        "My cousin has MS and had her own stem cells collected for a transplant two years ago, which is why "
        "I signed up to the register.",
        "The recipient's doctors say her counts are recovering. I hope to meet her one day."),
    "a scleroderma diary filed under HSCT": doc(
        "Day +5",
        "Day +5 and my counts are at zero. Cyclophosphamide and ATG are done, my cells are back in.",
        "The scleroderma has tightened my hands so much this year that typing is slow, but the doctors "
        "hope the transplant will stop my systemic sclerosis from reaching my lungs.",
        categories=("HSCT", "Scleroderma")),
    "a breast cancer chemo diary with a friend with MS": doc(
        "Chemo round 4",
        "Round four of chemotherapy for my breast cancer is done. Hair gone, nausea, the works. My "
        "neutrophils dropped so they delayed the next cycle.",
        "A friend with MS came to sit with me. She is thinking about a stem cell transplant herself one day.",
        categories=("Breast cancer",)),
    "CAR-T cells with lymphodepleting chemotherapy, the transplant named once": doc(
        "CAR-T cells tried in progressive MS",
        "Doctors treated two people with progressive multiple sclerosis with CAR-T cells after "
        "lymphodepleting chemotherapy with fludarabine and cyclophosphamide.",
        "The cells were infused back and B cells disappeared from the blood within days.",
        "Some researchers compare the idea to autologous stem cell transplantation, another intensive "
        "treatment used in aggressive MS."),
    "a drug approval in Mexico naming HSCT once": doc(
        "Mexico's regulator approves ofatumumab for relapsing MS",
        "Mexico's health regulator has approved ofatumumab for adults with relapsing multiple sclerosis.",
        "The monthly injection will be available in public hospitals in Mexico City, Guadalajara and "
        "Monterrey from next year.",
        "Patients in Mexico have fewer options than in Europe, and many have turned to HSCT in private "
        "clinics."),
    "a vitamin D study at the Pirogov centre": doc(
        "Pirogov centre study: vitamin D levels in MS patients",
        "Neurologists at the Pirogov centre in Moscow measured vitamin D in 300 people with multiple "
        "sclerosis.",
        "The Pirogov team found lower levels in people with relapsing MS than in healthy volunteers.",
        "The researchers at Pirogov say supplements may help, but trials are needed."),
    "an MS congress in Moscow": doc(
        "Moscow hosts regional MS congress",
        "More than 2,000 neurologists gathered in Moscow this week for a congress on multiple sclerosis, "
        "with sessions on B-cell therapies, vitamin D and MRI.",
        "A session on aHSCT drew a full hall. Moscow's clinics have treated many foreign patients.",
        "Organisers said next year's congress will be held in St Petersburg."),
}


@pytest.mark.parametrize("kind", sorted(LOOK_ALIKES))
def test_a_look_alike_stays_out(rules: Rules, kind: str) -> None:
    decision = rules.relevance(LOOK_ALIKES[kind])
    assert not decision.relevant, decision.reasons


# -- a source's declared focus and a post's categories ----------------------------------------------

OFF_TOPIC = {
    "vitamin D news": doc("Vitamin D and MS: what the new study says",
                          "A new study of vitamin D supplements in relapsing MS found no effect on relapses.",
                          "The researchers gave 400 people with MS high doses or a placebo."),
    "a Lemtrada infusion diary": doc(
        "Lemtrada round two, day 3",
        "Day 3 of 3 of alemtuzumab for my relapsing MS. The rash is back and my blood will be checked every "
        "month for four years.",
        "Lemtrada wipes out a lot of lymphocytes, so I'm avoiding crowds and soft cheese for a few weeks.",
        categories=("Lemtrada", "MS")),
    "a kitten": doc("Meet Biscuit", "We adopted a kitten this weekend. She is ginger and loud.",
                    categories=("HSCT", "Life")),
}


@pytest.mark.parametrize("kind", sorted(OFF_TOPIC))
def test_focus_and_categories_never_promote_an_off_topic_post(rules: Rules, kind: str) -> None:
    post = OFF_TOPIC[kind]
    for focus in ("", "hsct"):
        for categories in (post.categories, ("HSCT", "aHSCT", "My MS")):
            decision = rules.relevance(Document(post.title, post.summary, post.text, categories=categories,
                                                focus=focus))
            assert not decision.relevant, (focus, categories, decision.reasons)


def test_a_source_devoted_to_hsct_lowers_the_bar_for_posts_that_discuss_it(rules: Rules) -> None:
    post = doc("Back at work",
               "First week back at the office since the transplant. Four days, mornings only.",
               "The afternoons are hard after the transplant. My MS fatigue is there too, but I can plan "
               "around it.")
    general = rules.relevance(post)
    focused = rules.relevance(Document(post.title, text=post.text, focus="hsct"))
    assert not general.relevant and focused.relevant, (general.reasons, focused.reasons)
    assert rules.focus_threshold <= focused.score < rules.threshold
    assert focused.reasons[-1].endswith("(the source is devoted to HSCT)")


def test_categories_that_name_ms_set_the_disease(rules: Rules) -> None:
    post = doc("Home", "Discharged after five weeks. The stem cell transplant is done: my cells went back "
                       "in on day zero and my counts came back on day +11.")
    assert not rules.relevance(post).relevant  # which disease? the text never says
    decision = rules.relevance(Document(post.title, text=post.text, categories=("My MS", "Recovery")))
    assert decision.relevant and "MS named in the categories ('My MS')" in decision.reasons


# -- comments are never the article ----------------------------------------------------------------

def test_readers_comments_never_make_a_post_relevant(rules: Rules) -> None:
    post = ("Every summer my legs turn to jelly in the heat. Here are my tips: a cooling vest, cold "
            "showers, errands before ten, and iced drinks all day. What are yours?")
    comments = ("Trish says:\nSince I had HSCT in Mexico for my MS my heat tolerance is much better. "
                "Chemo, my own stem cells back, no relapses since.\n\nDavey says:\nSame here, aHSCT in "
                "Moscow for relapsing MS, and the transplant was worth it.")
    for heading in ("Comments (2)", "2 comments", "Leave a reply", "2 responses to “My heat hacks”"):
        decision = rules.relevance(doc("My heat hacks for MS", post, heading, comments))
        assert not decision.relevant and decision.score == 0.0, (heading, decision.reasons)
    # a forum thread's replies are the thread itself
    thread = doc("Heat after HSCT?", post, "Reply from Trish", comments)
    assert rules.relevance(thread).relevant


# -- pages that are not articles, whatever their title ---------------------------------------------

@pytest.mark.parametrize(("title", "body", "kind"), [
    ("HSCT – latest news and research | MS Reporter",
     ["MS Reporter > Topics > HSCT",
      "Stem cell transplant results hold at ten years\n14 March | Research\nMost patients stayed free of "
      "relapses a decade after aHSCT for MS, a cohort study finds.",
      "UK transplant trial finishes recruiting\n2 March | Clinical trials\nThe last of 200 people with MS "
      "has been randomised to aHSCT or a drug.",
      "Fertility after aHSCT: your questions\n27 February | Living with MS\nOur nurse explains egg "
      "freezing before the chemotherapy.",
      "Insurer covers MS transplant\n19 February | Access\nA US health plan will pay for HSCT in MS."],
     "a tag or category index"),
    ("Jane Smith, Author at Stem Cell Stories",
     ["Jane Smith is a health writer who has covered multiple sclerosis and stem cell transplantation "
      "(aHSCT) for ten years, from Sheffield's transplant unit to the clinics of Moscow and Puebla.",
      "Why I changed my mind about aHSCT\nMarch 3, 2025",
      "Inside Sheffield's transplant unit\nFebruary 12, 2025",
      "The cost of HSCT abroad for MS\nJanuary 28, 2025", "What MIST told us about HSCT\nDecember 9, 2024"],
     "an author's page"),
    ("Search results for: aHSCT multiple sclerosis",
     ["About 57 results",
      "aHSCT – information sheet\n...aHSCT is a treatment for highly active relapsing multiple sclerosis...\n"
      "Resources › Treatments › Updated 2 months ago",
      "Stem cell trial for MS finishes recruiting\n...the StarMS trial compares aHSCT with drugs...\n"
      "News › 14 March",
      "Fundraising for HSCT abroad\n...if you are considering aHSCT in another country...\n"
      "Money › 28 February",
      "Research round-up\n...three new studies of aHSCT in MS...\nResearch › 3 February"],
     "search results"),
])
def test_a_list_of_articles_is_not_an_article(rules: Rules, title: str, body: list[str], kind: str) -> None:
    decision = rules.relevance(doc(title, *body))
    assert not decision.relevant and decision.reasons == (f"not an article: {kind}",)


def test_dates_in_an_article_do_not_make_it_a_list(rules: Rules) -> None:
    timeline = doc(
        "Ten years of HSCT for MS in Sheffield",
        "Sheffield's hospital has treated more than 1,000 people with multiple sclerosis with aHSCT.",
        "2013 – first patient with relapsing MS treated\n2016 – a documentary brings thousands of enquiries\n"
        "2019 – MIST trial results published\n2023 – StarMS trial opens",
        "Most patients are free of relapses years later, and the hospital's waiting list is six months.")
    thread = doc(
        "Day +40 and my MS hand is better?",
        "Posted by sandy_g · 3 days ago",
        "I had HSCT in Moscow last month for my RRMS. My numb hand can feel the keys again. Has anyone else "
        "had this so soon after transplant?",
        "Reply from Tom_K · 2 days ago", "Not imagining it! My foot drop improved after my transplant too.",
        "Reply from sandy_g · 1 day ago", "Thanks Tom, that makes me so happy to hear.")
    assert rules.relevance(timeline).relevant and rules.relevance(thread).relevant


# -- tags for every genre ---------------------------------------------------------------------------

REGISTRY_RECORD = doc(
    "aHSCT versus ocrelizumab in relapsing multiple sclerosis (NCT09999999)",
    "Official Title: A randomised study of autologous haematopoietic stem cell transplantation versus "
    "ocrelizumab in relapsing multiple sclerosis",
    "Study Type: Interventional. Phase 3.\nEstimated Enrollment: 120\nRecruitment Status: Recruiting\n"
    "Study Start: 2024-01\nPrimary Completion: 2029-12",
    "Brief Summary: This study compares the efficacy and safety of aHSCT with ocrelizumab. Researchers "
    "will analyse relapses and disability in a cohort followed for five years.",
    "Primary Outcome Measure: proportion with no evidence of disease activity (NEDA) at 2 years.\n"
    "Secondary Outcome Measures: adverse events; treatment-related mortality; cost-effectiveness.",
    "Eligibility: ages 18 to 50; relapsing-remitting MS; EDSS 0 to 5.5.\nExclusion criteria:\n"
    "- Primary progressive MS\n- Secondary progressive MS without relapses",
    "Intervention: mobilisation with cyclophosphamide and G-CSF; conditioning with cyclophosphamide and "
    "rabbit ATG.")


def test_a_registry_record_is_a_trial_with_its_eligibility_not_its_outcome_measures(rules: Rules) -> None:
    tags = slugs(rules, REGISTRY_RECORD)
    assert {"trial", "rrms", "eligibility", "conditioning"} <= tags
    assert not {"research", "news", "outcomes", "safety", "cost", "ppms", "spms"} & tags


def test_a_registry_record_with_results_is_also_research(rules: Rules) -> None:
    results = doc(REGISTRY_RECORD.title, REGISTRY_RECORD.text,
                  "Results: progression occurred in 3 of 55 in the transplant arm and 30 of 55 in the "
                  "drug arm; hazard ratio 0.09 (95% CI 0.03 to 0.3); p less than 0.001.",
                  "NEDA at 2 years: 90% with aHSCT and 40% with ocrelizumab; event-free survival 88% "
                  "versus 52%.")
    assert {"trial", "research", "outcomes"} <= slugs(rules, results)


def test_an_interview_is_told_by_its_questions_an_faq_is_not(rules: Rules) -> None:
    questions = ["Who can have the transplant?", "Adults under 50 with relapsing MS that keeps breaking "
                 "through the best drugs. We present every candidate to a joint panel.",
                 "What happens in hospital?", "Conditioning with cyclophosphamide and ATG, then the stem "
                 "cells go back on day zero. The counts recover in about ten days.",
                 "And the risks?", "Infection in the first weeks, thyroid problems later, and infertility."]
    interview = doc("'We say no more often than yes': a neurologist on aHSCT for MS",
                    "We sat down with the head of the MS unit about who benefits from aHSCT.", *questions)
    faq = doc("aHSCT for MS: your questions answered", "This page explains aHSCT for MS.", *questions)
    assert "interview" in slugs(rules, interview)
    assert "interview" not in slugs(rules, faq)


def test_guidance_outranks_the_studies_it_weighs(rules: Rules) -> None:
    decision = doc(
        "Decision: aHSCT for relapsing MS – national decision forum",
        "The decision forum has decided that aHSCT is not introduced as routine treatment for relapsing MS.",
        "The health technology assessment found that studies show high rates of freedom from disease "
        "activity, but the randomised evidence against the best drugs is insufficient.",
        "Patients can be assessed for the randomised study instead, which the regional health authorities "
        "fund.")
    types = {t.slug for t in rules.tags(decision) if t.facet == "type"}
    assert types == {"guidance"}


@pytest.mark.parametrize(("sentence", "country"), [
    ("She had her aHSCT for relapsing MS at the university hospital in Monterrey.", "mexico"),
    ("He was treated with aHSCT for relapsing MS at the hospital in São Paulo.", "brazil"),
])
def test_treatment_cities_settle_the_country(rules: Rules, sentence: str, country: str) -> None:
    assert country in slugs(rules, doc("aHSCT for MS", sentence))


def test_country_is_where_the_treatment_happens_not_a_list_or_a_currency(rules: Rules) -> None:
    story = doc("My aHSCT in Ottawa for relapsing MS",
                "I was treated at The Ottawa Hospital, where the protocol is myeloablative.",
                "People ask why not the clinics in Mexico and Russia, which use milder chemo, or Israel.",
                "Abroad it would have cost $60,000 US, but here it is covered.")
    assert slugs(rules, story) & {"canada", "mexico", "russia", "israel", "usa"} == {"canada"}
    home = doc("My HSCT for MS", "I had my HSCT for MS in Puebla. Back here in the US, my neurologist was "
                                 "sceptical about the treatment.")
    assert slugs(rules, home) & {"mexico", "usa"} == {"mexico"}
    filed = doc("Week three", "Week three of my transplant for MS and the counts are at zero.",
                categories=("Reboot Diaries", "India"))
    assert "india" in slugs(rules, filed)
    evidence = {t.slug: t.evidence for t in rules.tags(filed)}["india"]
    assert [(e.phrase, e.where) for e in evidence] == [("India", "categories")]


def test_a_review_of_the_evidence_is_research(rules: Rules) -> None:
    review = doc("Stem cell transplant for progressive MS: what a review of the evidence says",
                 "A review of 25 studies of aHSCT in progressive multiple sclerosis concludes that the "
                 "transplant works best when there is still inflammation.",
                 "The authors pooled data on 1,200 patients. Those with recent relapses did best.",
                 "The review calls for trials in progressive MS.")
    assert {t.slug for t in rules.tags(review) if t.facet == "type"} == {"research"}


def test_an_accreditation_is_not_where_the_treatment_happens(rules: Rules) -> None:
    clinic = doc("My aHSCT for MS in Puebla",
                 "I had aHSCT for my relapsing MS at the clinic in Puebla.",
                 "The clinic is accredited by a US body and follows its transplant standards.")
    assert slugs(rules, clinic) & {"mexico", "usa"} == {"mexico"}


# -- the lede is the first paragraph of substance -------------------------------------------------

LETTER_HOME = doc(
    "Letters home, week three",
    "Hello everyone,",
    "Sorry it has been quiet. The wifi here comes and goes like the tram.",
    "Day +8 today. Eight days since they put my own cells back in, and my counts have been at zero since "
    "the weekend. The nurses gown up before they come in and I am not allowed fresh fruit.",
    "The team here has treated a lot of MS patients from abroad, which is why I picked them.",
    "More when I can taste food again.")
THREAD_BY_LINE = doc(
    "What did Puebla actually cost you?",
    "Posted by sunnyside_steph",
    "Budgeting for HSCT for my relapsing MS and the quotes I see online never include flights or the extra "
    "week. What did you all spend in the end?",
    "Reply from gav_in_glasgow",
    "Puebla, March 2023. Package $55k, flights £1,100 for two, Airbnb £900. Around £46k all in.",
    "Reply from tess_nz",
    "Moscow, 2021. Clinic fee 45,000 EUR plus about 6k for flights and my sister's flat.")
REBLOG = doc(
    "Worth your time",
    "Found this in Saturday's paper. Grab a cuppa.",
    '"Mark Evans could barely climb the stairs of his terraced house. His relapsing multiple sclerosis had '
    "flared four times in two years. Last spring he had autologous haematopoietic stem cell transplantation "
    "at King's College Hospital: his stem cells were collected, chemotherapy wiped out his immune system and "
    'the stored cells were given back. A year later he has had no relapses."',
    "Read the full piece on their site.")


@pytest.mark.parametrize("document", [LETTER_HOME, THREAD_BY_LINE, REBLOG],
                         ids=["letter-after-a-greeting", "thread-after-its-by-line", "reblog-after-an-intro"])
def test_the_lede_is_the_first_paragraph_of_substance(rules: Rules, document: Document) -> None:
    decision = rules.relevance(document)
    assert decision.relevant, decision.reasons
    lede = ("HSCT named in the lede", "HSCT described in the lede")
    assert any(r.startswith(lede) for r in decision.reasons)
    assert "HSCT only mentioned once, in passing" not in decision.reasons


def test_a_short_first_paragraph_that_says_what_it_is_about_is_the_lede(rules: Rules) -> None:
    """News in short paragraphs: the first one names the disease, so the lede ends there, and HSCT
    named once three paragraphs down stays a passing mention."""
    news = doc("New pill for relapsing MS approved",
               "Regulators approved a new oral drug for relapsing multiple sclerosis.",
               "Two trials showed fewer relapses than with teriflunomide.",
               "Neurologists said a few people with very active disease would still be offered HSCT.")
    decision = rules.relevance(news)
    assert not decision.relevant and "HSCT only mentioned once, in passing" in decision.reasons
    assert "HSCT named in the lede" not in decision.reasons


# -- a diary that tells the transplant without naming it, or its disease ----------------------------

def test_a_paragraph_that_tells_the_transplant_is_no_passing_mention(rules: Rules) -> None:
    diary = doc("Quick update",
                "I am home from the unit and writing from the sofa with the cat on my feet.",
                "Mobilisation and collection were done in May, with the bone ache everyone warns about. "
                "Conditioning started on the 2nd and the cells went back in on the 7th. My counts hit zero "
                "three days later.",
                "My MS nurse rang to say the team is happy with me. More soon.")
    decision = rules.relevance(diary)
    assert decision.relevant, decision.reasons
    assert "HSCT only mentioned once, in passing" not in decision.reasons


def test_a_diary_that_speaks_of_its_ms_without_naming_it(rules: Rules) -> None:
    diary = doc("A year on",
                "A year ago today my own stem cells dripped back into me. It was an anticlimax: a small bag "
                "and twenty minutes.",
                "My EDSS was 5.0 before; at the review they scored me at 4.0. The MRI showed no new lesions.",
                "My neurologist is pleased. The fatigue is still there, and my hair grew back curly.",
                summary="Twelve months since my new immune system arrived.")
    decision = rules.relevance(diary)
    assert decision.relevant, decision.reasons
    assert any(r.startswith("MS taken as the disease: the post speaks of it (") for r in decision.reasons)


def test_another_disease_named_as_a_comparison_is_not_the_transplants(rules: Rules) -> None:
    diary = doc("Money, honestly",
                "Quick update before the admission tomorrow.",
                "People keep asking what this costs. AHSCT for MS is not funded here the way it is for blood "
                "cancers, so my health fund pays the bed and I pay the gap, around $25,000 for the stem cell "
                "collection, storage and drugs.",
                "Tomorrow: line in, then chemo on Wednesday.",
                categories=("AHSCT", "Money"))
    assert rules.relevance(diary).relevant
    for compared in (
        "Unlike MS, Crohn's disease did not respond well to autologous stem cell transplantation in "
        "the ASTIC trial. Patients with Crohn's had chemotherapy and their own stem cells back, and many "
        "relapsed.",
        "The hospital will offer autologous haematopoietic stem cell transplantation to people with severe "
        "systemic sclerosis, as it already does for MS. Scleroderma patients with lung involvement "
        "come first."):
        assert not rules.relevance(doc("Transplant for autoimmune disease", compared)).relevant, compared


GENRE_LOOK_ALIKES = {
    "a lymphoma diary after a greeting": doc(
        "Letters home, week three", "Hello everyone,", "Sorry it has been quiet. The wifi comes and goes.",
        "Day +8 today. Eight days since they put my own cells back in after BEAM, and my counts have been at "
        "zero since the weekend.",
        "My haematologist says the lymphoma scan in three months will tell. My friend with MS sent flowers."),
    "a donor's story with an aunt's MS": doc(
        "Donation day", "Hi all,",
        "Yesterday I gave my stem cells to a stranger with leukaemia. Four days of G-CSF, then five hours on "
        "the apheresis machine.",
        "My aunt has MS and had her own stem cells put back after chemo two years ago, so I know a little of "
        "what the recipient faces.", "I hope her counts recover soon."),
    "an infusion day after a greeting": doc(
        "Infusion day", "Hi everyone,", "Quick one from the infusion chair.",
        "Ocrevus round six today. Six hours, a sandwich and a nap. My neurologist says the MRI shows no new "
        "lesions and no relapses this year, so we carry on.",
        "Some people in my group have gone abroad for HSCT; for now my drug is working."),
    "a myeloma diary with relapses and lesions": doc(
        "Day +10", "Hi all,",
        "Day +10 after my autologous transplant. Melphalan was rough, my counts hit zero and I had a fever.",
        "My myeloma team say the relapse risk is lower after a transplant. The lesions in my spine are "
        "stable, and my neurologist has stopped worrying about the numb feet."),
    "a breast cancer diary whose hair grew back": doc(
        "Hair update", "Hi all,",
        "My hair started falling out on day 14 of the chemo, so I shaved it. My white cells are low.",
        "The breast cancer nurses say it grows back curly. My neighbour with MS knitted me a hat.",
        categories=("Chemo",)),
    "a child's revaccination after leukaemia": doc(
        "Vaccination catch-up", "Hi everyone,",
        "Our son had his childhood vaccinations redone this week after his leukaemia treatment. His white "
        "cells are finally normal.", "My husband, who has MS, took him. Both got lollipops."),
}


@pytest.mark.parametrize("kind", sorted(GENRE_LOOK_ALIKES))
def test_the_genre_readings_keep_look_alikes_out(rules: Rules, kind: str) -> None:
    decision = rules.relevance(GENRE_LOOK_ALIKES[kind])
    assert not decision.relevant, decision.reasons


# -- tags, as each genre gives them ---------------------------------------------------------------

def test_a_forum_signature_names_where_the_writer_was_treated(rules: Rules) -> None:
    assert {"mexico", "russia", "cost", "patient-story"} <= slugs(rules, THREAD_BY_LINE)
    back = doc("Back home",
               "I flew from Dublin to Moscow in March for my HSCT for relapsing MS. Now I'm six weeks out "
               "from Moscow and home, and the Vancouver clinic I was born near is none of it.",
               "I went to Moscow because the waiting list at home was two years.")
    assert "russia" in slugs(rules, back)
    flew = doc("Two years on", "Two years ago I flew from Vancouver to Mexico City for my HSCT for MS, and "
                               "had the transplant in Puebla.")
    assert slugs(rules, flew) & {"canada", "mexico"} == {"mexico"}


def test_places_that_are_not_where_the_treatment_happens(rules: Rules) -> None:
    run = doc("My aHSCT for MS in Monterrey",
              "I had aHSCT for my relapsing MS at a private hospital in Monterrey, through a US-run "
              "programme.")
    assert slugs(rules, run) & {"mexico", "usa"} == {"mexico"}
    trials = doc("Ocrevus or HSCT?",
                 "I'm weighing HSCT for my RRMS against staying on Ocrevus. The trials now running "
                 "(BEAT-MS in the US, RAM-MS in Scandinavia, StarMS in the UK) should settle it.")
    assert not slugs(rules, trials) & {"usa", "uk", "norway", "sweden"}
    expert = doc("Transplant beats drugs in Nordic MS trial",
                 "aHSCT for relapsing MS kept more patients free of disease activity than drugs at Haukeland "
                 "University Hospital in Bergen, Norway.",
                 '"Two years is short," said a neurologist at University College London who was not '
                 'involved.')
    assert slugs(rules, expert) & {"norway", "uk"} == {"norway"}


def test_a_list_of_study_sites_under_its_heading_gives_their_countries(rules: Rules) -> None:
    record = doc("aHSCT versus best therapy in MS (NCT09999998)",
                 "A randomised trial of aHSCT against best available therapy for relapsing multiple "
                 "sclerosis.",
                 "Study locations\nKarolinska University Hospital, Stockholm, Sweden; Haukeland University "
                 "Hospital, Bergen, Norway; Rigshospitalet, Copenhagen, Denmark.")
    assert {"sweden", "norway"} <= slugs(rules, record)


def test_a_trial_named_once_then_called_the_trial(rules: Rules) -> None:
    report = doc("Stem cell transplant outperforms drugs in MS trial",
                 "A one-off stem cell transplant kept relapsing multiple sclerosis quiet more often "
                 "than the best "
                 "drugs, according to results presented this week.",
                 "The MOST trial, led from Chicago, randomly assigned 120 people with relapsing MS "
                 "to aHSCT or "
                 "to a high-efficacy drug.",
                 "The trial will follow participants for five years.")
    assert "most" in slugs(rules, report)
    aside = doc("Bergen becomes national aHSCT centre for MS",
                "Haukeland University Hospital in Bergen will be Norway's national centre for aHSCT "
                "in multiple "
                "sclerosis.",
                "The hospital also leads the RAM-MS trial. Officials said the trial's results would shape "
                "future criteria.")
    assert "ram-ms" not in slugs(rules, aside)  # named once; "the trial's results" is not its subject
    filed = doc("Month eight", "No relapses so far in the transplant arm; my six-month scan was clean.",
                "I was randomised to aHSCT for my relapsing MS.", categories=("RAM-MS", "Trial life"))
    assert "ram-ms" in slugs(rules, filed)


def test_a_question_heads_its_answer(rules: Rules) -> None:
    interview = doc("In conversation: a haematologist on aHSCT for MS",
                    "We spoke to a haematologist who treats people with MS with aHSCT.",
                    "Q: Who do you turn away?",
                    "A: People whose MS is quiet on their current drug, and people with long-standing "
                    "progressive disease.",
                    "Q: How does it compare with the drugs?",
                    "A: It stops relapses better than ocrelizumab or anything else we have.")
    assert {"interview", "eligibility", "dmt-comparison"} <= slugs(rules, interview)


def test_patient_information_is_guidance_a_take_part_page_is_the_trials(rules: Rules) -> None:
    leaflet = doc("aHSCT for MS: information for patients",
                  "This leaflet is for people referred to our aHSCT service for multiple sclerosis.",
                  "Who can have it?", "Adults with relapsing MS that stays active despite treatment.",
                  "What are the risks?", "Infection, infertility and, rarely, death.")
    assert {t.slug for t in rules.tags(leaflet) if t.facet == "type"} == {"guidance"}
    take_part = doc("The StarMS trial: information for patients",
                    "StarMS is a clinical trial comparing aHSCT with the best drugs for relapsing MS. Our "
                    "hospital is recruiting.",
                    "Who can take part? Adults aged 18 to 55. Inclusion criteria are on the trial's page.",
                    "To take part, ask your neurologist. Enrolment closes in June.")
    assert {t.slug for t in rules.tags(take_part) if t.facet == "type"} == {"trial"}


def test_a_site_joining_a_trial_and_a_review_citing_trials(rules: Rules) -> None:
    site = doc("Our hospital joins MS transplant trial",
               "The university hospital is now enrolling participants in BEAT-MS, a trial of aHSCT "
               "against the "
               "best available drugs for relapsing multiple sclerosis.",
               "The study will enroll 150 people nationwide. Researchers will compare relapses and "
               "disability "
               "over six years.", "To take part, call the study coordinator.")
    assert {t.slug for t in rules.tags(site) if t.facet == "type"} == {"trial"}
    review = doc("aHSCT in progressive MS: a narrative review",
                 "We reviewed 30 studies of aHSCT in progressive multiple sclerosis published since 2000.",
                 "The pooled data suggest benefit mainly where inflammation persists. Randomised trials in "
                 "progressive MS are needed.",
                 "Future trials should select patients by MRI activity. No randomised trial has yet "
                 "tested it.")
    assert {t.slug for t in rules.tags(review) if t.facet == "type"} == {"research"}


def test_a_reporters_profile_and_a_short_diary_entry_are_stories(rules: Rules) -> None:
    profile = doc("Teacher walks again after stem cell transplant",
                  "Sarah Jones, 38, from Leeds, had aHSCT for her relapsing MS in Sheffield last year.",
                  "The 38-year-old says she has not had a relapse since, and she is back in the classroom.")
    assert "patient-story" in slugs(rules, profile)
    entry = doc("Day +11", "Counts up! My neutrophils are 0.8 and I'm allowed out of my room tomorrow. Ate "
                           "toast, kept it down, and I am so tired.", categories=("HSCT", "Puebla"))
    assert "patient-story" in slugs(rules, entry)
    family = doc("Dad's big trip",
                 "My dad, Colin, has had MS for twenty years. Last month he flew to Moscow for a stem cell "
                 "transplant.",
                 "He had the chemo, the stem cells went back in, and now he is in isolation waiting for his "
                 "counts to recover.")
    assert "patient-story" in slugs(rules, family)


def test_results_told_as_time_since_the_transplant(rules: Rules) -> None:
    since = doc("Two years on",
                "Two years since my HSCT for relapsing MS in Moscow, and this is the update I hoped "
                "to write.",
                "No relapses so far, and my last MRI was clean.")
    assert "outcomes" in slugs(rules, since)
    signed = doc("Anyone been to Bangalore?",
                 "Had HSCT for my RRMS in Bangalore last year, for those asking.",
                 "Bangalore, 2024. Clean scans at 12 months, no relapses.")
    assert "outcomes" in slugs(rules, signed)
    before = doc("Why I chose HSCT", "My HSCT for relapsing MS is booked for March in Moscow.",
                 "No relapses, no new lesions on my last scan, but my neurologist says that will not last.")
    assert "outcomes" not in slugs(rules, before)


def test_an_insurers_words_are_cost_money_for_a_trial_is_not(rules: Rules) -> None:
    policy = doc("Medical policy: HCT for MS",
                 "Autologous hematopoietic cell transplantation for relapsing multiple sclerosis is "
                 "considered "
                 "medically necessary when the criteria below are met.",
                 "Prior authorization is required. Out-of-network services are subject to the deductible.")
    assert "cost" in slugs(rules, policy)
    grant = doc("Charity gives £3 million to MS stem cell trial",
                "An MS charity has committed £3 million to StarMS, the UK trial comparing aHSCT "
                "with the best "
                "drugs for relapsing MS.", "The trial, co-funded by the government, will recruit 200 people.")
    assert "cost" not in slugs(rules, grant)


def test_relapsing_ms_named_once_in_a_piece_about_progressive_ms(rules: Rules) -> None:
    diary = doc("The wrong kind of MS",
                "I have primary progressive MS. The NHS centres treat relapsing MS, so I went to Puebla for "
                "HSCT.",
                "PPMS patients do worse than others, the clinic said. My PPMS has been slow but steady.",
                "Four months after HSCT my primary progressive MS is no worse. PPMS is a long game.")
    assert slugs(rules, diary) & {"rrms", "ppms", "spms"} == {"ppms"}


# -- tuned on en-3's genres: a feature's quoted answers, a carer's diary, a post filed by its name --


def test_a_feature_interview_answers_in_quotations(rules: Rules) -> None:
    """Each question a paragraph of its own, each answer the speaker's quotation: an interview,
    though it never calls itself one; a page of questions answered in the house's voice is not."""
    questions = ["What surprised you most?", "How long is the stay?", "What should people pack?"]
    quoted = ['"The first week. I thought I knew what to expect, and I did not."',
              '"About four weeks. I tell everyone to plan for six, because my patients always stay longer."',
              '"Warm socks, a long charger and my advice: patience with yourself."']
    plain = ["The first week is the hardest for most people.", "About four weeks on the ward.",
             "Warm socks, a long charger and a book."]
    lede = ("A haematology nurse who has looked after people with multiple sclerosis through their "
            "autologous haematopoietic stem cell transplant for a decade describes the ward.")
    asked = [p for pair in zip(questions, quoted, strict=True) for p in pair]
    answered = [p for pair in zip(questions, plain, strict=True) for p in pair]
    feature = doc("A nurse on the transplant ward", lede, *asked)
    faq = doc("The transplant ward: your questions", lede, *answered)
    assert "interview" in slugs(rules, feature)
    assert "interview" not in slugs(rules, faq)


def test_a_carers_diary_follows_one_persons_transplant(rules: Rules) -> None:
    """A wife, a sister or a mother keeps the diary: the story is told through his counts, her
    doctor, his cells, and it is still a patient's story."""
    diary = doc(
        "Week two at the clinic",
        "My little brother asked me to keep the blog going while he sleeps. His counts hit zero on "
        "Day +7 and his doctor says that is right on time.",
        "He had his apheresis last week and they got enough cells in one go. On Day 0 they gave him his "
        "cells back after four days of cyclophosphamide for his multiple sclerosis.",
        "Mum flies out on Friday. Thank you all for the messages, we read every one.")
    assert "patient-story" in slugs(rules, diary) and "news" not in slugs(rules, diary)


def test_a_post_filed_under_the_transplant_that_speaks_of_it_is_about_it(rules: Rules) -> None:
    """Filed under "Stem cell transplant", telling of the transplant programme and of being
    transplanted: the category and the text say the same thing. Filed there but speaking of
    nothing of the kind, it stays out."""
    body = ("I was diagnosed with relapsing-remitting multiple sclerosis in 2012 and failed three drugs. "
            "Then I read about the stem cell transplant programme at the university hospital.",
            "The insurer said no twice. The third appeal worked, and I was transplanted in the spring; "
            "six years on I have had no relapses and take no medication.")
    filed = ("Insurance", "Stem cell transplant")
    assert rules.relevance(doc("How we won the appeal", *body, categories=filed)).relevant
    other = doc("How we won the appeal", "I have relapsing multiple sclerosis and the insurer refused my "
                "new drug twice. The third appeal worked.", categories=filed)
    assert not rules.relevance(other).relevant


def test_a_clinicians_quoted_answers_make_an_interview(rules: Rules) -> None:
    """A clinician answers for her team ("we"), in quotations under each question: still an
    interview."""
    pairs = [("What do people underestimate?", '"The fatigue. We see it in everyone, for months."'),
             ("And the ward?", '"The ward is the part we are good at. The nurses do this every day."'),
             ("Any advice?", '"Pack slippers, and plan for a slow first year at home."')]
    feature = doc("On the ward with a transplant nurse",
                  "A nurse who has looked after people with multiple sclerosis through autologous "
                  "haematopoietic stem cell transplantation for a decade on the stay.",
                  *(p for pair in pairs for p in pair))
    assert "interview" in slugs(rules, feature)


def test_a_structured_abstract_is_research(rules: Rules) -> None:
    """Background, Methods, Results, Conclusions: a study's abstract, whatever else it names."""
    abstract = doc(
        "Costs of autologous HSCT against high-efficacy drugs in relapsing MS",
        "Objectives: To compare the costs of autologous haematopoietic stem cell transplantation (aHSCT) "
        "with two high-efficacy drugs for relapsing multiple sclerosis.",
        "Methods: A model over ten years, from the health service's perspective.",
        "Results: aHSCT cost less over ten years than either drug.",
        "Conclusions: For selected patients, aHSCT is likely to save money.")
    assert "research" in slugs(rules, abstract) and "news" not in slugs(rules, abstract)


def test_a_familys_we_tells_a_patients_story_a_press_offices_does_not(rules: Rules) -> None:
    """A couple writes "we" of the transplant they went through together; a hospital writes "we"
    of its service — that alone is no patient's story."""
    family = doc(
        "Week three in Puebla",
        "We landed on a Sunday and the clinic picked us up. Our apartment is two streets away and we "
        "walk over every morning for bloods. I do the cooking, Tom does the sleeping.",
        "The chemo for Tom's multiple sclerosis finished on Thursday and his stem cells went back in on "
        "Day 0. Our friends back home raised most of the money, and we cannot thank them enough.",
        "We have one more week here. I will write again when we are home.")
    release = doc(
        "Hospital opens a transplant unit for multiple sclerosis",
        "We are proud to announce that our hospital now offers autologous haematopoietic stem cell "
        "transplantation for people with multiple sclerosis. We have treated our first four patients.",
        "Our team of neurologists and haematologists will assess each referral. We expect to treat "
        "forty patients a year, and we will publish our results.")
    assert "patient-story" in slugs(rules, family)
    assert "patient-story" not in slugs(rules, release)


def test_the_chemotherapy_before_car_t_cells_is_not_the_transplants(rules: Rules) -> None:
    """CAR-T cells follow a short lymphodepleting chemotherapy with cyclophosphamide: that is not
    the transplant told in its steps, and a story that sets CAR-T beside stem cell transplantation
    once stays out; the same drug in a transplant's diary still tells it."""
    car_t = doc(
        "First patients with MS treated with CAR-T cells",
        "Two people with relapsing multiple sclerosis received a single infusion of CAR-T cells after a "
        "short course of lymphodepleting chemotherapy with fludarabine and cyclophosphamide.",
        "Unlike stem cell transplantation, which is already used for some people with relapsing MS, "
        "CAR-T is entirely experimental in this disease. The team will report at six months.",
        "Both patients left hospital within two weeks, and neither has relapsed so far.")
    diary = doc(
        "Four days of chemo done",
        "Four days of cyclophosphamide are behind me and my stem cells go back in tomorrow. The "
        "transplant for my relapsing MS is finally happening.")
    assert not rules.relevance(car_t).relevant
    assert rules.relevance(diary).relevant


def test_a_study_told_as_a_journal_abstract_or_a_press_release_is_research(rules: Rules) -> None:
    """A journal's long structured abstract (Importance:, Design, Setting, and Participants:) and a
    confidence interval at any level; a press office's "a research group has published the results";
    a study's patients treated "in routine care" do not make its release guidance."""
    abstract = Document(
        title="Autologous transplantation for aggressive relapsing MS: 4-year results of a cohort",
        text="Importance: Stem cell transplantation (aHSCT) is used for aggressive relapsing MS.\n\n"
             "Design, Setting, and Participants: Forty patients treated at two centres were included.\n\n"
             "Main Outcomes and Measures: Freedom from relapses and new lesions.\n\n"
             "Results: At 4 years, 71% (80% CI, 60%-79%) had no new disease activity after aHSCT for MS.")
    assert "research" in slugs(rules, abstract)
    release = Document(
        title="Stem cell transplant for MS works as well in routine care, hospital finds",
        summary="A hospital's research group followed 90 patients with relapsing MS for six years.",
        text="A research group at the city hospital has published the results of six years of aHSCT for "
             "multiple sclerosis, treating patients in routine care rather than a trial.\n\n"
             "Most had no relapses after the stem cell transplant, the team said. The study's lead said the "
             "results match the national guidelines, which list the treatment for very active MS.")
    found = slugs(rules, release)
    assert "research" in found and "guidance" not in found


def test_a_page_telling_readers_who_can_have_it_is_guidance_a_forum_question_is_not(rules: Rules) -> None:
    """A centre's "am I eligible" page or a society's explainer speaks to the reader — who is
    accepted, how to apply, whom to ask — and is guidance even when it never says "guideline"; a
    patient asking a forum whether she would be accepted stays a patient's post."""
    clinic = doc("Can I be treated? | International patients",
                 "Our centre treats multiple sclerosis with autologous stem cell transplantation (aHSCT).",
                 "We generally accept patients with relapsing or progressive MS and an EDSS up to 6.",
                 "We are unable to accept patients with active infections or heart disease.",
                 "How do I apply?", "Send your MRI reports and neurology letter to our coordinator.")
    found = slugs(rules, clinic)
    assert "guidance" in found and "news" not in found
    society = doc("Stem cell transplantation (aHSCT) for MS",
                  "aHSCT resets the immune system with chemotherapy and your own stem cells.",
                  "Our position", "The Society sees aHSCT as an option for very active relapsing MS.",
                  "Who is most likely to benefit?", "Younger people with active relapsing disease.",
                  "Talk to your MS specialist before deciding.")
    assert "guidance" in slugs(rules, society)
    forum = doc("Would a clinic accept me with SPMS?",
                "I have had MS for fourteen years and my EDSS is 6. I keep reading about aHSCT and "
                "I want to know how to apply, or if I am wasting my time.",
                "My neurologist says no, but my own research says the clinics abroad take people like me.",
                "Has anyone with SPMS been accepted for the stem cell transplant? I would love to hear "
                "your story.")
    assert "guidance" not in slugs(rules, forum)


def test_a_forum_thread_is_its_members_own_accounts_a_q_and_a_is_not(rules: Rules) -> None:
    """A thread of posts under their by-lines ("Posted by …:", "Reply from …:") is its members'
    own accounts, even where a nurse's or a neurologist's reply outweighs the first-person words;
    one by-line above an article is no thread."""
    thread = doc("Husband has a fever on day +8 in Moscow",
                 "Posted by anna_k:",
                 "His transplant for MS is at day +8 and he spiked a temperature last night.",
                 "Reply from mike_two_years_out:",
                 "Fever around this point of the transplant is very common.",
                 "Reply from nurse_jo:", "Neutropenic fever is expected; the teams have protocols for it.",
                 "Reply from anna_k:", "Thank you all, the cultures are back and the antibiotic is working.")
    found = slugs(rules, thread)
    assert "patient-story" in found and "news" not in found
    article = doc("Moscow centre opens a second ward for MS transplants",
                  "Posted by the news desk:",
                  "The haematology centre in Moscow has opened a second ward for autologous stem cell "
                  "transplantation (aHSCT) for multiple sclerosis, the hospital said.",
                  "The ward will treat 200 patients a year, most of them from abroad.")
    assert "patient-story" not in slugs(rules, article)
