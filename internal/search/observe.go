package search

// Observer is told what a Syncer does, for its metrics (ferry serve
// exports them at /metrics). Its methods are called on the sync's
// goroutine and must be quick.
type Observer interface {
	// Delivered says the index took documents of entity and their outbox
	// entries were marked delivered.
	Delivered(entity string, documents int)
	// Refused says the index refused one document of entity, with the
	// item's status (429, 400, ...); its entries stay pending and are
	// retried after a backoff.
	Refused(entity string, status int)
	// IndexUnavailable says the index could not be reached, or failed a bulk
	// request as a whole, after the backend's own retries: the batch is
	// left pending and tried again after a backoff.
	IndexUnavailable(err error)
}

// observer is s.Observer, or one that ignores everything.
func (s *Syncer) observer() Observer {
	if s.Observer == nil {
		return nopObserver{}
	}
	return s.Observer
}

type nopObserver struct{}

func (nopObserver) Delivered(string, int)  {}
func (nopObserver) Refused(string, int)    {}
func (nopObserver) IndexUnavailable(error) {}
