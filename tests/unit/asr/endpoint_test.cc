// Endpointer: hangover after speech, minimum speech, max length, no-speech timeout.
#include <gtest/gtest.h>

#include "hearth/asr/asr.h"

namespace hearth {
namespace {

EndpointConfig cfg() {
  EndpointConfig c;
  c.hangover_ms = 300;
  c.max_utterance_ms = 2000;
  c.no_speech_timeout_ms = 1000;
  c.min_speech_ms = 50;
  return c;
}

// Pushes `n` frames of `speech`; returns the frame (1-based count) at which kEnd fired, or -1.
int push(Endpointer& ep, bool speech, int n) {
  for (int i = 0; i < n; ++i)
    if (ep.push(speech) == Endpointer::Event::kEnd) return static_cast<int>(ep.frames());
  return -1;
}

TEST(EndpointerTest, EndsAfterHangover) {
  Endpointer ep(cfg());
  EXPECT_EQ(push(ep, false, 20), -1);
  EXPECT_EQ(push(ep, true, 50), -1);
  EXPECT_TRUE(ep.started());
  EXPECT_EQ(ep.last_speech_frame(), 69);
  // 30 silent frames = 300 ms after the last speech frame.
  EXPECT_EQ(push(ep, false, 100), 100);
  EXPECT_EQ(ep.reason(), Endpointer::Reason::kSilence);
  EXPECT_EQ(ep.push(true), Endpointer::Event::kNone);  // stays ended
}

TEST(EndpointerTest, ShortPausesDoNotEnd) {
  Endpointer ep(cfg());
  for (int k = 0; k < 4; ++k) {  // 1.8 s < max_utterance_ms
    EXPECT_EQ(push(ep, true, 20), -1);
    EXPECT_EQ(push(ep, false, 25), -1);  // 250 ms pause < 300 ms hangover
  }
  EXPECT_FALSE(ep.ended());
}

TEST(EndpointerTest, ClicksDoNotStartSpeech) {
  Endpointer ep(cfg());
  for (int k = 0; k < 40; ++k) {
    ep.push(true);  // 10 ms blips < min_speech_ms
    ep.push(false);
    ep.push(false);
  }
  EXPECT_FALSE(ep.started());
}

TEST(EndpointerTest, NoSpeechTimeout) {
  Endpointer ep(cfg());
  EXPECT_EQ(push(ep, false, 500), 100);
  EXPECT_EQ(ep.reason(), Endpointer::Reason::kNoSpeech);
  EXPECT_EQ(endpoint_reason_name(ep.reason()), "no_speech");
}

TEST(EndpointerTest, MaxLength) {
  Endpointer ep(cfg());
  EXPECT_EQ(push(ep, true, 1000), 200);
  EXPECT_EQ(ep.reason(), Endpointer::Reason::kMaxLength);
}

TEST(EndpointerTest, ResetInSpeech) {
  Endpointer ep(cfg());
  ep.reset(true);
  EXPECT_TRUE(ep.started());
  EXPECT_EQ(push(ep, false, 100), 31);
}

TEST(EndpointConfigTest, Validates) {
  AsrConfig c;
  ConfigErrors e;
  c.validate(e);
  EXPECT_TRUE(e.empty()) << e.to_string();
  c.endpoint.hangover_ms = 1;
  c.pocketsphinx.cmn = "sometimes";
  c.lm_order = 9;
  c.validate(e);
  EXPECT_EQ(e.size(), 3u) << e.to_string();
}

TEST(AsrConfigTest, ParsesAndReportsBadKeys) {
  AsrConfig c;
  ConfigErrors e;
  parse_asr_config(R"({"lm_order": 2, "pocketsphinx": {"lw": 9.5, "cmn": "batch"}, "endpoint": {"hangover_ms": 250}})",
                   &c, e);
  EXPECT_TRUE(e.empty()) << e.to_string();
  EXPECT_EQ(c.lm_order, 2);
  EXPECT_DOUBLE_EQ(c.pocketsphinx.lw, 9.5);
  EXPECT_EQ(c.pocketsphinx.cmn, "batch");
  EXPECT_EQ(c.endpoint.hangover_ms, 250);
  parse_asr_config(R"({"lm_order": "two", "bogus": 1, "pocketsphinx": []})", &c, e);
  EXPECT_EQ(e.size(), 3u) << e.to_string();
  ConfigErrors e2;
  parse_asr_config("{not json", &c, e2);
  EXPECT_EQ(e2.size(), 1u);
}

}  // namespace
}  // namespace hearth

namespace hearth {
namespace {

// The early endpoint: after early_hangover_ms of silence the caller may end
// the utterance (a complete command); before it, or before speech, it may not.
TEST(EndpointerTest, EarlyCandidateAfterShortSilence) {
  EndpointConfig c = cfg();
  c.early_hangover_ms = 100;
  Endpointer ep(c);
  EXPECT_EQ(push(ep, false, 30), -1);
  EXPECT_FALSE(ep.early_candidate());  // no speech yet
  EXPECT_EQ(push(ep, true, 40), -1);
  EXPECT_FALSE(ep.early_candidate());  // still talking
  EXPECT_EQ(push(ep, false, 9), -1);
  EXPECT_FALSE(ep.early_candidate());  // 90 ms of silence
  EXPECT_EQ(push(ep, false, 1), -1);
  EXPECT_TRUE(ep.early_candidate());   // 100 ms
  ep.end_early();
  EXPECT_TRUE(ep.ended());
  EXPECT_EQ(ep.reason(), Endpointer::Reason::kEarly);
  EXPECT_EQ(endpoint_reason_name(ep.reason()), "early");
  EXPECT_FALSE(ep.early_candidate());
  EXPECT_EQ(ep.push(false), Endpointer::Event::kNone);  // nothing after the end
  // Off: never a candidate; the normal hangover still ends it.
  c.early_hangover_ms = 0;
  Endpointer off(c);
  push(off, true, 40);
  EXPECT_EQ(push(off, false, 100), 40 + 30);
  EXPECT_FALSE(off.early_candidate());
  EXPECT_EQ(off.reason(), Endpointer::Reason::kSilence);
}

// The end-probability floor: early_end_probability until
// complete_hangover_ms of silence, then 0 (any complete command ends it);
// silence_ms counts from the last speech frame and restarts with speech.
TEST(EndpointerTest, EndFloorDropsAfterCompleteHangover) {
  EndpointConfig c = cfg();
  c.early_hangover_ms = 100;
  c.early_end_probability = 0.3;
  c.complete_hangover_ms = 200;
  Endpointer ep(c);
  EXPECT_EQ(ep.silence_ms(), 0);  // no speech yet
  push(ep, true, 40);
  EXPECT_EQ(ep.silence_ms(), 0);
  push(ep, false, 15);
  EXPECT_EQ(ep.silence_ms(), 150);
  EXPECT_EQ(ep.early_end_floor(), 0.3);
  push(ep, false, 5);
  EXPECT_EQ(ep.silence_ms(), 200);
  EXPECT_EQ(ep.early_end_floor(), 0.0);
  push(ep, true, 10);  // a pause, not the end
  EXPECT_EQ(ep.silence_ms(), 0);
  EXPECT_EQ(ep.early_end_floor(), 0.3);
  // Off: the floor stays.
  c.complete_hangover_ms = 0;
  Endpointer off(c);
  push(off, true, 40);
  push(off, false, 35);
  EXPECT_EQ(off.early_end_floor(), 0.3);
}

}  // namespace
}  // namespace hearth
