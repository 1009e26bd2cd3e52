package engine

import "time"

// SetHeartbeatEvery shortens the heartbeat for a test and returns the undo.
func SetHeartbeatEvery(d time.Duration) func() {
	old := heartbeatEvery
	heartbeatEvery = d
	return func() { heartbeatEvery = old }
}

// OwnerToken is the token an engine's jobs carry.
func (e *Engine) OwnerToken() string { return e.locks.token }
