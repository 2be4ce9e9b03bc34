// Playing sound files to a channel. Files are found under the sounds directory by name
// ("hello" → sounds/<language>/hello.wav, .flac, .opus or .ogg, in that order, falling back
// to en; see channel_language()), read with libsndfile off the loop and kept in a cache, then
// sent as 20 ms frames from the channel's loop at a rate the channel's codec takes (a 48 kHz
// file plays at 48 kHz to Opus, 16 kHz to G.722, 8 kHz to G.711).
#pragma once
#include <string>
#include <string_view>

#include "zvon/result.h"
#include "zvon/task.h"

namespace zvon {

class Channel;

// Not an aggregate on purpose: GCC 12 mis-destroys aggregate temporaries created inside a
// co_await expression (`co_await play_file(ch, f, PlaybackOptions{"#"})`), so the options
// are built through constructors.
struct PlaybackOptions {
  PlaybackOptions() = default;
  explicit PlaybackOptions(std::string interrupt) : interrupt_digits(std::move(interrupt)) {}
  // Stop early when the caller presses one of these digits (the digit stays in
  // Channel::pending_digits()). Empty: not interruptible.
  std::string interrupt_digits;
};

enum class PlaybackEnd { Finished, Interrupted };

// The language a channel's prompts are played in: its variable CHANNEL(language) or LANGUAGE,
// else `language` of zvon.conf [general], else "en". The channel's loop.
std::string channel_language(Channel& channel);

// True for a usable language code: 1-32 letters, digits, '_' and '-' ("en", "ru_RU").
bool valid_language_code(std::string_view code);

// Plays one file; fails with a reason naming the file when it cannot be found or read
// (missing, corrupt, a format libsndfile does not read).
// Hang-up throws ChannelHungUp out of it.
Task<Result<PlaybackEnd>> play_file(Channel& channel, std::string name, PlaybackOptions options = {});

}  // namespace zvon
