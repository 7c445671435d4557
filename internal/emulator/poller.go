package emulator

func (s *Server) startPoller() {}
