// Reserved for the 0.2 dashboard: the entry 'nestjs-process-manager/dashboard' exports nothing yet.
export {};
