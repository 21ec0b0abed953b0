//! A small SMTP server for the tests: it speaks enough of the protocol for lettre and
//! keeps every message it receives.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

pub struct SmtpServer {
    pub port: u16,
    received: Arc<Mutex<Vec<String>>>,
}

/// A free local port, found by binding to port 0 and letting it go.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn serve(stream: TcpStream, received: Arc<Mutex<Vec<String>>>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let _ = writer.write_all(b"220 test.local ESMTP\r\n");
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("EHLO") || command.starts_with("HELO") {
            let _ = writer.write_all(b"250-test.local\r\n250 8BITMIME\r\n");
        } else if command.starts_with("DATA") {
            let _ = writer.write_all(b"354 end with .\r\n");
            let mut message = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line.trim_end_matches(['\r', '\n']) == "." {
                    break;
                }
                message.push_str(&line);
            }
            received.lock().unwrap().push(message);
            let _ = writer.write_all(b"250 queued\r\n");
        } else if command.starts_with("QUIT") {
            let _ = writer.write_all(b"221 bye\r\n");
            return;
        } else {
            let _ = writer.write_all(b"250 ok\r\n");
        }
    }
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        Self::start_on(0)
    }

    pub fn start_on(port: u16) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let shared = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || serve(stream, shared));
            }
        });
        SmtpServer { port, received }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
}
