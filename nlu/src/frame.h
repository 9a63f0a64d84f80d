// nlu/src/frame.h (private): the second matching layer, behind the strict
// templates. It reads sentences that no template covers ("porch light on, I'm
// expecting a delivery", "vanity light brightness 70", "how hot's the
// kitchen") in the spirit of Home Assistant's fuzzy matching and Picovoice
// Rhino's slot spotting.
//
// CLAUSES
// split_clauses() cuts a sentence at sentence punctuation (. ! ? ;), commas
// and "and then". The strict grammar is tried on each clause; a clause with
// no command (a justification: "i'm cold", "for the party", "it's dark in the
// lounge") is ignored, except that it may supply a place: a command whose
// target is a kind with no place ("lights on please") takes the one area the
// other clauses mention ("It's dark in the lounge, lights on please" ->
// area Living Room), and a command with no target at all takes the target of
// a clause that names one and asks nothing ("reading lamp, forty percent").
//
// FRAMES
// When no clause matches a template, FrameParser spots, by longest match over
// the normalized words of each clause: device names and aliases, areas,
// floors, kind words, colors, color temperatures, numbers (with percent /
// degrees) and durations, and action cue words (on, off, lock, open, dim,
// pause, volume, timer, ...). It then composes one intent by fixed rules that
// follow docs/intents.md (name, else area + kind, floor + kind, kind alone,
// area + "everything"). A frame is refused when the clause
//   - has no action cue, or no target for an intent that needs one;
//   - is negated ("don't", "not", "never", "no");
//   - reports rather than commands: a past-tense or reporting word
//     ("turned", "already", "yesterday", "was"), or asks a question
//     (why / who / how do ...) other than a temperature reading, a state
//     ("is the extractor fan going", "garage door closed?"), the time or
//     the date;
//   - leaves more than kMaxUnexplainedWords content words unexplained;
//   - takes something out of a target ("except", "other than", "unless";
//     "but", "besides", "apart from" before a thing: "but the porch", "but
//     leave the hall on"); checked over the whole sentence, strict clauses
//     too;
//   - joins two different targets ("the tv and the lamps", "x or y");
//   - leaves an unknown word where it may be the device or place meant:
//     after a determiner when there is no target ("pause the jukebox"),
//     after a place preposition when there is no device or place ("lights
//     off in the den"), right after the place or before the kind of a
//     place + kind target ("the light on the kitchen ceiling");
//   - says a value it cannot read: two numbers, a number followed by an
//     unknown last word ("twenty won"), a fraction ("a quarter open"); or
//     a value word (volume, half, full) that no setting rule took, which
//     then never falls back to on / off;
//   - switches on by "go" alone next to an unknown word ("go recharge");
//   - asks the time or date as a yes / no question with an unknown word
//     ("is my train on time"; a wh-question may leave one), or a reading of
//     a device named without a temperature word as a do-question ("what
//     does the thermostat do");
//   - starts a timer without a name while another clause leaves a word
//     unplaced ("the bread needs forty minutes, start a timer").
// Across clauses: a command that borrows its whole target from another
// clause must leave no word unexplained ("the bags are full" is no
// brightness); a cancel next to a command is a correction and reads as
// nothing ("no wait, the bedside lamp, turn it off"); a strict clause with
// no target yields to the frames when another clause names a device
// ("kitchen speaker is too loud, volume fifteen"); the whole sentence is
// read as one frame only for timers. Before spotting, a one-word place or
// cue said as two words is joined ("down stairs", "every where").
// Precision comes first: a confident wrong command is worse than "not
// understood"; the on-device LLM gets the sentence instead.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grammar.h"

namespace hearth::nlu {

// Cuts `text` at . ! ? ; , and "and then", and before a reason or purpose
// ("because ...", "so nobody ..."). Returns the non-empty pieces as they were
// written (tokenize() them to match), a "?" kept at the end of its clause; a
// sentence with none of those marks is one clause.
std::vector<std::string> split_clauses(std::string_view text);

// A command with an exception ("all the lights off except the porch light",
// "everything off but the fridge"): the command's text and the text of what
// it leaves out. `bare_but`: the marker was a plain "but", which may also
// join two commands.
struct Exception {
  std::string command;
  std::string left_out;
  bool bare_but = false;
};
std::optional<Exception> split_exception(std::string_view text);
// Whether `text` says an exception with a marker that only ever means one
// ("except", "apart from", "but not", ...; not a bare "but").
bool says_exception(std::string_view text);

// Whether a clause says what is to stay as it is ("keep the floor lamp on",
// "the hallway light should stay on", "leave the porch light alone"): no
// command of its own next to another clause.
bool leaves_as_is(std::string_view clause);

// Whether `m` (a built-in reading) names, by free words, a device the home
// does not have ("switch off the lights outdoors" read as a name).
bool names_unknown_device(const Home& home, const GrammarMatch& m);
// Whether `f` is a reading with a place (a name, area or floor) whose targets
// resolve: the frame reading preferred over an unknown name.
bool placed_and_resolves(const Home& home, const std::optional<GrammarMatch>& f);

inline constexpr int kMaxUnexplainedWords = 2;  // content words a command frame may leave unexplained

class FrameParser {
 public:
  // `grammar` supplies the phrase lists and filler words; it must outlive this.
  explicit FrameParser(const Grammar& grammar) : grammar_(grammar) {}

  // The layer behind the templates: first the strict grammar on each clause
  // (with the target filled from the other clauses), then frames. nullopt when
  // neither reads the sentence.
  std::optional<GrammarMatch> match(std::string_view text) const;

  // TemplateParser::only_tells() (nlu.h): every clause a statement with a
  // past tense or another time.
  bool only_tells(std::string_view text) const;

  // Only the frame reading of one clause (no strict grammar), for tests.
  std::optional<GrammarMatch> match_frame_for_test(std::string_view clause) const;

 private:
  std::optional<GrammarMatch> match_clauses(std::string_view text, const std::vector<std::string>& clauses) const;
  // `m` (a group command) less the device or area named in `left_out`, as
  // except_name / except_area slots; nullopt when that cannot be said.
  std::optional<GrammarMatch> leave_out(GrammarMatch m, std::string_view left_out, bool strict) const;

  const Grammar& grammar_;
};

}  // namespace hearth::nlu
