package server

// closeRuntime releases the connections of a configuration that was
// replaced. It runs in the background: closing waits for scrapes still using it.
func (s *Server) closeRuntime(rt *runtime) {
	if rt == nil {
		return
	}
	go func() {
		if err := rt.exporter.Close(); err != nil {
			s.logger.Warn("closing the previous configuration's connections", "err", err)
		}
	}()
}

// Close releases the running configuration's connections.
func (s *Server) Close() error {
	rt := s.current()
	if rt == nil {
		return nil
	}
	return rt.exporter.Close()
}
