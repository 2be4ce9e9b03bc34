// Music on hold: what a channel hears while the party it is bridged with has put the call on
// hold. A module (res_musiconhold) provides it; the core's Bridge asks for it when one side
// holds. Without the module a held call is silent.
#pragma once
#include <memory>
#include <string_view>

#include "zvon/result.h"

namespace zvon {

class Channel;

// Plays while it exists; destroying it stops the music. The channel's loop thread.
class HoldMusicPlayer {
 public:
  virtual ~HoldMusicPlayer() = default;
};

class HoldMusic {
 public:
  virtual ~HoldMusic() = default;
  // Starts the music of `music_class` ("" for the default class) to `channel`, through its
  // media endpoint as 20 ms frames. Fails (with a reason) for an unknown or empty class.
  // The channel's loop thread; the player must go before the channel does.
  virtual Result<std::unique_ptr<HoldMusicPlayer>> start(Channel& channel,
                                                         std::string_view music_class) = 0;
};

}  // namespace zvon
