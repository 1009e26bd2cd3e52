package job

import "time"

// SetHeartbeatEvery shortens the heartbeat for a test and returns the undo.
func SetHeartbeatEvery(d time.Duration) func() {
	old := heartbeatEvery
	heartbeatEvery = d
	return func() { heartbeatEvery = old }
}
