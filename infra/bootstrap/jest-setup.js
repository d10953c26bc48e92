// Tests keep their output to what failed: services under test log warnings and errors only,
// unless FORKDESK_LOG_LEVEL asks for more.
process.env.FORKDESK_LOG_LEVEL = process.env.FORKDESK_LOG_LEVEL || 'warn';
