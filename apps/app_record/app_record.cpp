// Call recording: Record() records the caller into a file (record_app.h); MixMonitor() and
// StopMixMonitor() record both directions of a call while it runs (mix_monitor_app.h).
#include "mix_monitor_app.h"
#include "record_app.h"
#include "zvon/application_module.h"

ZVON_MODULE("app_record", "Record(), MixMonitor(), StopMixMonitor(): call recording", "",
            (zvon::ApplicationModule<zvon::record::RecordApp, zvon::record::MixMonitorApp,
                                     zvon::record::StopMixMonitorApp>::load))
