"""The learned model: trained on the corpus and the desk's decisions, applied beside the rules with a
bounded weight, versioned with the rules, retrained on its own, and measured cross-validated."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hsctwatch.cli import cli
from hsctwatch.config import ConfigError, ModelConfig, load_config
from hsctwatch.crawl.items import Article
from hsctwatch.rules import Document, Relevance, Rules
from hsctwatch.rules.evaluate import DEFAULT_CORPUS, load_corpus
from hsctwatch.rules.learned import (
    FORMAT,
    LANGUAGE_MIN,
    TAG_ADD,
    TAG_REMOVE,
    Example,
    Learned,
    Model,
    held_out,
    learnable_tags,
    learned_tags,
    text_of,
    training_corpus,
)
from hsctwatch.rules.model import Evidence, TagMatch
from hsctwatch.stories.learning import desk_examples, due
from hsctwatch.stories.models import open_store
from hsctwatch.stories.review import retag, set_status
from pipelines.relevance import RelevancePipeline
from pipelines.tag import TagPipeline
from tests.test_pipeline_dedup_store import Pipeline
from tests.test_relevance_tag_pipelines import DRUG_NEWS, crawler

ROOT = Path(__file__).resolve().parent.parent
BLIND_EN = DEFAULT_CORPUS / "blind" / "en-1"

#: a diary that describes the transplant in its own words (written for this test, in no corpus)
DIARY = Document(
    title="Day +9: counts at zero and a very boring room",
    text="\n\n".join([
        "Nine days since my stem cells went back in. My neutrophils are at zero, so I am in isolation "
        "and the nurses come in gowned and masked. The chemo, four days of cyclophosphamide and ATG, "
        "wiped out the immune system that was attacking my brain and spine.",
        "I was diagnosed with relapsing-remitting multiple sclerosis in 2019 and had three relapses "
        "on two drugs before I came to the clinic in Puebla for the transplant.",
        "The haematologist says my counts should start to climb in a day or two. I am tired, my hair "
        "is coming out in handfuls, and I miss my dog. Day +100 feels a long way off.",
    ]),
)
DRUG = Document(title=DRUG_NEWS["title"], summary=DRUG_NEWS["summary"], text=DRUG_NEWS["text"])

#: a tiny labelled corpus, for the tests that train more than once
SMALL_CORPUS = """
[[case]]
id = "diary-1"
title = "My HSCT diary: day +5 in Moscow"
relevant = true
text = "My stem cells went back in after cyclophosphamide. I have relapsing MS and the transplant is my hope."
[[case]]
id = "diary-2"
title = "HSCT for MS: home after the transplant"
relevant = true
text = "The transplant reset my immune system. Multiple sclerosis took my legs; stem cells gave them back."
[[case]]
id = "news-1"
title = "aHSCT trial for MS recruits"
relevant = true
text = "A trial of the stem cell transplant for relapsing MS is recruiting at three centres."
[[case]]
id = "diet"
title = "Diet and MS fatigue"
relevant = false
text = "A diet study in people with MS found less fatigue after twelve weeks of vegetables."
[[case]]
id = "lymphoma"
title = "Stem cell transplant for lymphoma"
relevant = false
text = "A transplant after chemotherapy helps people with lymphoma, a cancer of the blood."
[[case]]
id = "drug"
title = "New MS drug approved"
relevant = false
text = "Regulators approved a new tablet for relapsing MS after a trial of two years."
"""


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules.load()


def learned(path: Path | None, rules: Rules, digest: str | None = None) -> Learned:
    return Learned.load(path, weight=0.6, threshold=rules.threshold,
                        rules_digest=rules.digest if digest is None else digest)


def small_setup(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "seed.toml").write_text(SMALL_CORPUS, encoding="utf-8")
    config = tmp_path / "hsct-watch.toml"
    config.write_text('[store]\nurl = "sqlite:///store.db"\n[feeds]\nout = "public"\n'
                      f'[model]\nenabled = true\ncorpus = ["corpus"]\npath = "model.joblib"\n{extra}',
                      encoding="utf-8")
    return config


def hw(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], env={"HSCT_WATCH_EDITOR": "ed"})
    return result.exit_code, result.output


# -- what it is trained on ------------------------------------------------------------------------


def test_training_reads_the_corpus_and_never_a_held_out_batch(tmp_path: Path) -> None:
    assert held_out(DEFAULT_CORPUS / "blind" / "de-2") and held_out("tests/corpus/blind/es-3")
    assert not held_out(BLIND_EN) and not held_out(DEFAULT_CORPUS)
    english = sorted((DEFAULT_CORPUS / "blind").glob("en-*"))
    assert len(english) >= 3 and not any(held_out(batch) for batch in english)
    shipped = len(load_corpus(DEFAULT_CORPUS)) + sum(len(load_corpus(batch)) for batch in english)
    assert len(training_corpus()) == shipped, "the default is everything labelled in English that ships"
    newest = newest_english_batch()
    assert len(training_corpus(without=[newest])) == shipped - len(load_corpus(newest))
    (tmp_path / "xx-2").mkdir()
    with pytest.raises(ValueError, match="held-out batch"):
        training_corpus([tmp_path / "xx-2"])
    config = tmp_path / "hsct-watch.toml"
    config.write_text('[model]\ncorpus = ["tests/corpus/blind/de-2"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r":2: \[model\] corpus: tests/corpus/blind/de-2 is a held-out"):
        load_config(config)


def test_desk_decisions_label_the_stories_editors_touched(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    add = Pipeline(store)
    stories = [("kept", "HSCT for MS kept", True), ("missed", "A diary the rules missed", False),
               ("wrong", "A lymphoma transplant", True), ("tags", "HSCT news retagged", True),
               ("untouched", "HSCT untouched", True)]
    ids = [add(url=f"https://news.example.org/{name}/", title=title, text=f"{title}. " * 30,
               relevant=relevant, relevance_score=0.9 if relevant else 0.2)["story_id"]
           for name, title, relevant in stories]
    set_status(store, [str(ids[0]), str(ids[1])], "approved", editor="ed")
    set_status(store, [str(ids[2])], "rejected", editor="ed")
    from hsctwatch.rules import Vocabulary

    retag(store, str(ids[3]), ["ppms"], [], Vocabulary.load(), editor="ed")
    examples, kinds, last = desk_examples(store)
    assert dict(kinds) == {"approved": 1, "rescued": 1, "rejected": 1, "retagged": 1}
    assert [(e.document.title, e.relevant) for e in examples] == [
        ("HSCT for MS kept", True), ("A diary the rules missed", True), ("A lymphoma transplant", False),
        ("HSCT news retagged", True)]
    assert last == 4  # three status decisions and one retagging


# -- what it does beside the rules ------------------------------------------------------------------


def test_the_model_adds_bounded_evidence_and_the_words_that_weighed(model_file: Path, rules: Rules) -> None:
    model = learned(model_file, rules)
    assert model.model is not None
    for doc in (DIARY, DRUG):
        alone = rules.relevance(doc)
        both = model.combine(doc, alone)
        p = model.model.probability(doc)
        assert both.reasons[:len(alone.reasons)] == alone.reasons  # the rules' reasons, unchanged
        assert both.score == round(min(max(alone.score + 0.6 * (2 * p - 1), 0.0), 1.0), 3)
        assert abs(both.score - alone.score) <= 0.6 + 1e-9
        assert both.relevant == (both.score >= rules.threshold)
        added = both.reasons[len(alone.reasons):]
        evidence = 0.6 * (2 * p - 1)
        assert added[0] == f"learned model: relevant with probability {p:.2f} ({evidence:+.2f} to the score)"
        assert re.fullmatch(r"words that weighed for it: '[^']+' \+\d\.\d\d(, '[^']+' \+\d\.\d\d)*", added[1])
        assert added[2].startswith("words that weighed against it: '")
        assert added[3].startswith(f"score with the model {both.score:.2f}")
    assert model.model.probability(DIARY) > 0.8 > 0.2 > model.model.probability(DRUG)
    words_for, _ = model.model.weighing(DIARY)
    assert any(word in DIARY.text.lower() for word, _ in words_for)


def test_off_missing_or_stale_the_rules_decide_alone(model_file: Path, rules: Rules, tmp_path: Path) -> None:
    alone = rules.relevance(DIARY)
    assert Learned().combine(DIARY, alone) is alone  # off: not even a note
    assert learned(None, rules).combine(DIARY, alone) is alone
    (tmp_path / "broken.joblib").write_bytes(b"not a model")
    for path, digest, note in [(tmp_path / "none.joblib", None, "no model file at"),
                               (model_file, "0" * 64, "trained beside other rules"),
                               (tmp_path / "broken.joblib", None, "cannot read the model")]:
        decision = learned(path, rules, digest).combine(DIARY, alone)
        assert (decision.relevant, decision.score, decision.reasons[:-1]) == (
            alone.relevant, alone.score, alone.reasons)
        assert decision.reasons[-1].startswith("learned model not used: ") and note in decision.reasons[-1]
        assert decision.reasons[-1].endswith("; `hsct-watch train` retrains it; the rules decide alone") or \
            decision.reasons[-1].endswith("; `hsct-watch train` makes one; the rules decide alone")
    page = Relevance(False, 0.0, ("not an article: tag index",))
    assert learned(model_file, rules).combine(DIARY, page) is page  # never promoted


def test_the_model_weighs_in_only_on_the_languages_it_learned(model_file: Path, rules: Rules) -> None:
    """Trained on English, it knows nothing of a Spanish article's words: the rules decide it alone,
    and say so. Once it has learned from enough articles in a language, it weighs in on them."""
    model = learned(model_file, rules)
    assert model.model is not None and model.model.meta["languages"]["en"] >= LANGUAGE_MIN
    assert set(model.model.meta["languages"]) == {"en"}
    diary = Document(title="Día +9 en Puebla", language="es", text=(
        "Me devolvieron mis células madre tras la quimio; mi neuróloga dice que el trasplante autólogo "
        "frena la esclerosis múltiple remitente recurrente."))
    alone = rules.relevance(diary)
    decision = model.combine(diary, alone)
    assert (decision.relevant, decision.score, decision.reasons[:-1]) == (alone.relevant, alone.score,
                                                                           alone.reasons)
    assert decision.reasons[-1] == ("learned model not used: it learned from too few articles in 'es'; "
                                    "the rules decide alone")
    spanish = [Example(Document(f"Trasplante {n}", text=f"esclerosis múltiple trasplante {n}", language="es"),
                       n % 2 == 0) for n in range(LANGUAGE_MIN)]
    english = [Example(c.document, c.relevant) for c in training_corpus()[:40]]
    both = Learned(True, Model.train(english + spanish), 0.6, rules.threshold)
    assert any(r.startswith("learned model: relevant with probability")
               for r in both.combine(diary, alone).reasons)


def test_the_relevance_stage_applies_the_model_named_in_its_settings(model_file: Path, rules: Rules) -> None:
    model = learned(model_file, rules).model
    assert model is not None
    made = crawler(HSCTWATCH_MODEL=str(model_file), HSCTWATCH_MODEL_WEIGHT=0.6)
    for doc, url in ((DIARY, "https://blog.example/day-9/"), (DRUG, "https://news.example/drug/")):
        article = Article(source="site", url=url, title=doc.title, summary=doc.summary, text=doc.text)
        off = RelevancePipeline.from_crawler(crawler()).process_item(Article(article))
        assert off["relevance_reasons"] == list(rules.relevance(doc).reasons)
        on = RelevancePipeline.from_crawler(made).process_item(Article(article))
        assert on["relevance_reasons"][:len(off["relevance_reasons"])] == off["relevance_reasons"]
        assert any(r.startswith("learned model: relevant with probability") for r in on["relevance_reasons"])
        evidence = 0.6 * (2 * model.probability(doc) - 1)
        assert on["relevance_score"] == round(min(max(off["relevance_score"] + evidence, 0.0), 1.0), 3)
        if on["relevant"] and not off["relevant"]:
            assert made.stats.get_value("hsctwatch/relevance/model_kept") == 1
    assert on["relevance_score"] < off["relevance_score"]  # the drug story, pulled further down


def test_tag_models_add_and_remove_only_when_sure_and_news_only_when_no_type_fits(rules: Rules) -> None:
    research = TagMatch("type", "research", (Evidence("study", "body"),))
    safety = TagMatch("topic", "safety", (Evidence("risk", "body"),))
    news = TagMatch("type", "news", ())
    unsure = {"research": TAG_REMOVE + 0.01, "safety": 0.5, "guidance": TAG_ADD - 0.01}
    assert learned_tags([research, safety], unsure, rules.facet) == [research, safety]
    sure = learned_tags([research, safety], {"research": TAG_REMOVE / 2, "interview": TAG_ADD}, rules.facet)
    assert [m.slug for m in sure] == ["safety", "interview"]  # research off, interview on, no news
    assert sure[1].evidence[0].where == "model" and "probability 0.80" in sure[1].evidence[0].phrase
    assert [m.slug for m in learned_tags([news], {"guidance": 0.9}, rules.facet)] == ["guidance"]
    assert [m.slug for m in learned_tags([research], {"research": 0.0}, rules.facet)] == ["news"]


def test_the_tag_stage_applies_the_tag_models_of_the_model_in_its_settings(model_file: Path,
                                                                          rules: Rules) -> None:
    model = learned(model_file, rules).model
    assert model is not None and set(model.tag_models) <= set(learnable_tags(rules.facets))
    assert {"research", "patient-story", "safety", "outcomes"} <= set(model.tag_models)
    made = crawler(HSCTWATCH_MODEL=str(model_file))
    article = Article(source="site", url="https://blog.example/day-9/", title=DIARY.title, text=DIARY.text,
                      relevant=True)
    off = TagPipeline.from_crawler(crawler()).process_item(Article(article))
    assert {t["slug"] for t in off["tags"]} == {m.slug for m in rules.tags(DIARY)}
    on = TagPipeline.from_crawler(made).process_item(Article(article))
    expected = learned_tags(rules.tags(DIARY), model.tag_probability(DIARY), rules.facet)
    assert [t["slug"] for t in on["tags"]] == [m.slug for m in expected]
    assert "patient-story" in {t["slug"] for t in on["tags"]}
    # one transform per article: the relevance probability and the tags read the same row
    assert model.row(DIARY) is model.row(DIARY)


def test_a_reading_made_ahead_counts_only_for_the_model_of_its_file(model_file: Path, rules: Rules,
                                                                     tmp_path: Path) -> None:
    """The worker process reads each article with the model ahead of the relevance and tag
    stages; they take that reading only from a model read from the same file."""
    copy = tmp_path / "copy.npz"
    copy.write_bytes(model_file.read_bytes())
    same, other = learned(model_file, rules), learned(copy, rules)
    decision = rules.relevance(DIARY)
    ahead = same.read_ahead(DIARY, decision)
    assert ahead is not None and ahead.tags
    assert same.takes(ahead) and not other.takes(ahead)
    # a reading that says otherwise shows which one each used
    sure = dataclasses.replace(ahead, probability=1.0, tags=dict.fromkeys(ahead.tags, 1.0))
    taken = same.combine(DIARY, decision, sure)
    assert taken != same.combine(DIARY, decision)
    assert "learned model: relevant with probability 1.00 (+0.60 to the score)" in taken.reasons
    assert other.combine(DIARY, decision, sure) == other.combine(DIARY, decision)
    found = rules.tags(DIARY)
    assert {m.slug for m in same.retag(DIARY, found, rules.facet, sure)} >= set(ahead.tags) - {"news"}
    assert other.retag(DIARY, found, rules.facet, sure) == other.retag(DIARY, found, rules.facet)
    # nothing is read ahead where the stages would read nothing
    assert Learned().read_ahead(DIARY, decision) is None
    assert same.read_ahead(DIARY, Relevance(False, 0.0, ("not an article: a tag or category index",))) is None


def test_the_worker_reads_the_model_file_once(model_file: Path, rules: Rules, tmp_path: Path) -> None:
    """The worker process reads the model once per file and rules, as the crawl's stages do:
    not again for every page, neither a model replaced since nor a file it can't use."""
    from pipelines.relevance import judge

    path = tmp_path / "model.npz"
    path.write_bytes(model_file.read_bytes())
    first = judge(None, rules.digest, DIARY, str(path))["model"]
    assert first is not None and first.source[0] == str(path.resolve())
    path.unlink()
    path.write_bytes(model_file.read_bytes())  # retrained meanwhile: another file at the same path
    later = path.stat().st_mtime_ns + 10**9
    os.utime(path, ns=(later, later))
    assert judge(None, rules.digest, DIARY, str(path))["model"].source == first.source
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    assert judge(None, rules.digest, DIARY, str(broken))["model"] is None
    broken.write_bytes(model_file.read_bytes())  # the same file, readable now: still not read again
    assert judge(None, rules.digest, DIARY, str(broken))["model"] is None


def test_the_saved_model_scores_as_scikit_learn_does_without_importing_it(model_file: Path) -> None:
    """The file holds the vectorizer's words and idf and the coefficients: read back, it gives
    scikit-learn's probabilities (relevance and every tag) for every case of the corpus and of the
    blind batches, and reading and scoring it imports neither scikit-learn nor SciPy."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    cases = training_corpus()
    texts = [text_of(c.document) for c in cases]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    features = vectorizer.fit_transform(texts)
    labels = [c.relevant for c in cases]
    classifier = LogisticRegression(C=100.0, class_weight="balanced", solver="liblinear")
    classifier.fit(features, labels)
    tagger = LogisticRegression(C=10.0, class_weight="balanced", solver="liblinear").fit(
        features, ["safety" in c.tags for c in cases])
    model = Model.of_fitted(vectorizer, classifier, {"format": FORMAT}, {"safety": tagger})
    model.save(model_file.parent / "exported.npz")
    read = Model.load(model_file.parent / "exported.npz")
    every = [c.document for c in load_corpus(DEFAULT_CORPUS) + load_corpus(DEFAULT_CORPUS / "blind")]
    rows = vectorizer.transform([text_of(d) for d in every])
    assert read.probabilities(every) == pytest.approx(list(classifier.predict_proba(rows)[:, 1]), abs=1e-12)
    assert [p["safety"] for p in read.tag_probabilities(every)] == pytest.approx(
        list(tagger.predict_proba(rows)[:, 1]), abs=1e-12)
    names = vectorizer.get_feature_names_out()
    row = rows[0].tocoo()
    parts = read.linear.parts(read.row(every[0]))
    assert [w for w, _ in parts] == [str(names[j]) for j in row.col]
    assert [v for _, v in parts] == pytest.approx([v * classifier.coef_[0][j] for j, v in zip(
        row.col, row.data, strict=True)], abs=1e-12)

    script = (f"import sys; from hsctwatch.rules.learned import Model; from hsctwatch.rules import Document; "
              f"m = Model.load({str(model_file)!r}); m.reading(Document('HSCT for MS', text='aHSCT works')); "
              f"m.tag_probability(Document('x')); "
              f"assert not {{'sklearn', 'scipy', 'joblib'}} & set(sys.modules), sorted(sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr


# -- training, by command and on its own --------------------------------------------------------------


def test_train_saves_a_versioned_model_and_retrains_after_n_decisions(tmp_path: Path) -> None:
    config_file = small_setup(tmp_path, "retrain_after = 2\n")
    config = load_config(config_file)
    store = open_store(config.store_url)
    add = Pipeline(store)
    for n in range(3):
        add(url=f"https://news.example.org/{n}/", title=f"HSCT for MS, part {n}", text=f"Story {n}. " * 40)
    assert due(config, store) == "no usable model yet"
    code, out = hw(config_file, "train")
    assert code == 0, out
    assert out.startswith("learned model trained (asked) on 6 articles: 6 labelled cases and 0 from the desk "
                          f"(none yet); saved to {tmp_path / 'model.joblib'}")
    meta = Model.load(tmp_path / "model.joblib").meta
    assert meta["rules_digest"] == Rules.load().digest and meta["examples"] == 6 and meta["relevant"] == 3
    assert due(config, store) == ""
    # a crawl's check finds nothing due: the rules are not compiled for it (a fresh process's
    # compiled patterns, counted before and after)
    script = ("import sys; from hsctwatch.config import load_config; from hsctwatch.console import retrain; "
              "from hsctwatch.rules import terms; config = load_config(sys.argv[1]); retrain(config); "
              "print(terms._compiled.cache_info().currsize); from hsctwatch.rules import Rules; "
              "Rules.load(config.rules); print(terms._compiled.cache_info().currsize)")
    done = subprocess.run([sys.executable, "-c", script, str(config_file)], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    checked, loaded = map(int, done.stdout.split())
    assert checked == 0 and loaded > 0

    code, out = hw(config_file, "review", "approve", "1")  # one decision: not yet
    assert code == 0 and "learned model trained" not in out
    code, out = hw(config_file, "review", "reject", "2")  # the second: retrained on its own
    assert code == 0 and "learned model trained (2 new decisions) on 8 articles: 6 labelled cases and 2 " \
                         "from the desk (1 approved, 1 rejected)" in out
    meta = Model.load(tmp_path / "model.joblib").meta
    assert (meta["decisions"], meta["decisions_upto"], meta["examples"]) == (2, 2, 8)

    rules_copy = tmp_path / "my-rules.toml"  # other rules: the model is stale until retrained
    rules_copy.write_text((ROOT / "hsctwatch/rules/rules.toml").read_text(encoding="utf-8") + "\n# mine\n",
                          encoding="utf-8")
    config_file.write_text(config_file.read_text(encoding="utf-8").replace(
        "[store]", 'rules = "my-rules.toml"\n[store]'), encoding="utf-8")
    assert due(load_config(config_file), store) == "the rules changed"


def test_a_crawl_trains_a_missing_model_first(tmp_path: Path) -> None:
    config = small_setup(tmp_path)
    config.write_text(config.read_text(encoding="utf-8")
                      # a dead source, given up on without the waits a real one gets
                      + "[scrapy]\nHSCTWATCH_RETRY_BACKOFF = 0.05\n"
                      + "AUTOTHROTTLE_ENABLED = false\nDOWNLOAD_DELAY = 0\n"
                      + '[[sources]]\nname = "x"\nkind = "feed"\nurls = ["http://127.0.0.9:9/feed"]\n',
                      encoding="utf-8")
    code, out = hw(config, "crawl")
    assert out.splitlines()[0].startswith("learned model trained (no usable model yet) on 6 articles")
    assert code == 1 and (tmp_path / "model.joblib").is_file()
    code, out = hw(config, "crawl", "--quiet")  # now current: not retrained
    assert "learned model" not in out


def test_train_without_anything_to_learn_from_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    config = tmp_path / "hsct-watch.toml"
    config.write_text('[store]\nurl = "sqlite:///store.db"\n[model]\ncorpus = ["empty"]\n', encoding="utf-8")
    code, out = hw(config, "train")
    assert code == 2 and out.strip().splitlines() == [
        "hsct-watch: nothing to train on: no labelled corpus here and no editors' decisions yet"]


# -- measured ---------------------------------------------------------------------------------------


def table_row(out: str, name: str) -> list[float]:
    line = next(line for line in out.splitlines() if line.startswith(name + " "))
    return [float(v) for v in line.split()[-7:]]


def newest_english_batch() -> Path:
    """The newest English blind batch: the one nobody tuned the rules or the model on."""
    return max((DEFAULT_CORPUS / "blind").glob("en-*"), key=lambda p: int(p.name.split("-")[1]))


def test_eval_compares_rules_alone_and_combined_and_the_default_follows_the_figures() -> None:
    """The model is on by default only if it raises relevance recall on the newest blind batch,
    held out from its training, without lowering precision (README, "The learned model")."""
    corpus, newest = str(DEFAULT_CORPUS), newest_english_batch()
    assert newest != BLIND_EN, "the newest batch is left out, so it is not one the model learns from"
    english = [str(batch) for batch in sorted((DEFAULT_CORPUS / "blind").glob("en-*"),
                                              key=lambda p: int(p.name.split("-")[1]))]
    result = CliRunner().invoke(cli, ["eval", corpus, *english])  # the newest: by the default minus it
    code, out = result.exit_code, result.output
    assert code == 0, out
    corpus_cases = len(load_corpus(DEFAULT_CORPUS))
    assert re.search(r"Relevance, rules alone and combined with the learned model \(weight 0\.60, (on|off) "
                     rf"in the config\), 10-fold cross-validated over {corpus_cases} cases; .*{newest} each "
                     r"scored by a model trained without it:", out)
    cases, rules_p, rules_r, _, model_p, model_r, _ = table_row(out, f"{newest} (left out)")
    assert cases == len(load_corpus(newest))
    from hsctwatch.rules.evaluate import evaluate

    alone = evaluate(load_corpus(newest))["relevance"]
    assert (rules_p, rules_r) == (round(alone["precision"], 3), round(alone["recall"], 3))
    better = model_r > rules_r and model_p >= rules_p
    assert ModelConfig().enabled == better, (
        f"on the blind cases, rules alone P {rules_p} R {rules_r}, combined P {model_p} R {model_r}: "
        f"the model must be {'on' if better else 'off'} by default")
    # the tag models ship with it only while they raise the newest batch's tags, no facet falling
    alone, both = tag_rows(out, str(newest))
    assert alone[0] == round(evaluate(load_corpus(newest))["tags"]["f1"], 3)
    assert both[0] > alone[0] and all(b >= a for a, b in zip(alone, both, strict=True)), (
        f"on the newest blind batch, tags by the rules {alone}, with the tag models {both}")


def tag_rows(out: str, name: str) -> tuple[list[float], list[float]]:
    """The tags table's two rows for a folder: micro-F1 and each facet's, rules alone and combined."""
    lines = out[out.index("Tags (F1"):].splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(name + " "))
    return [float(v) for v in lines[at].split()[2:]], [float(v) for v in lines[at + 1].split()[1:]]


def test_eval_scores_a_held_out_batch_without_training_on_it(tmp_path: Path) -> None:
    held = tmp_path / "zz-2"
    held.mkdir()
    (held / "seed.toml").write_text(SMALL_CORPUS, encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(DEFAULT_CORPUS), str(held), "--folds", "3"])
    assert result.exit_code == 0, result.output
    corpus_cases = len(load_corpus(DEFAULT_CORPUS))
    assert f"3-fold cross-validated over {corpus_cases} cases; {held} held out:" in result.output
    assert table_row(result.output, f"{held} (held out)")[0] == 6


def test_eval_rules_only_skips_the_model() -> None:
    result = CliRunner().invoke(cli, ["eval", str(DEFAULT_CORPUS), "--rules-only"])
    assert result.exit_code == 0 and "learned model" not in result.output
