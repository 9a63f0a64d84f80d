// nlu/src/sounds_like.h (private): device names said loosely: spelled the
// way a speech recognizer heard them ("desk lamb", "night lite",
// "chandelear", "rite bedside lamp", "bed side lamp") or cut short ("the
// extractor" for Extractor Fan).
//
// sound_key() writes a name the way it is pronounced, roughly: silent and
// doubled letters dropped, letters that sound alike merged (c/k/q, z/s, ph/f,
// "ght"/t, a leading "wr"/"kn"), vowels kept only where a word starts, word
// breaks removed. Homophones share a key ("write"/"right"/"rite" -> "rt").
//
// closest_device() is the last resort of target resolution, used only when
// free words name no device: the device whose name or an alias has the same
// key, or a key one edit away when the key has five letters or more and the
// spelling is within two letters ("desk lamb"), and no other device is as
// near. A made-up name ("the jacuzzi", "the pool lights" in a home with
// "patio lights") finds nothing and stays an error.
#pragma once

#include <string>
#include <string_view>

#include "hearth/devices/home.h"

namespace hearth::nlu {

std::string sound_key(std::string_view name);

// Edit distance between two keys (insert, delete, substitute each cost 1).
int key_distance(std::string_view a, std::string_view b);

// The one device `spoken` most likely means by sound, or nullptr.
const Device* closest_device(const Home& home, std::string_view spoken);

// The one device whose name or an alias holds every word of `spoken` and more
// ("the extractor" -> Extractor Fan, "the coffee" -> Coffee Maker), or
// nullptr when none or several do ("the ceiling").
const Device* device_by_part(const Home& home, std::string_view spoken);

}  // namespace hearth::nlu
