//! Opening a modem's port: a serial device (udev symlink, /dev/serial/by-id,
//! ttyUSB, ttyACM, ttyS, serial0) or `tcp://host:port` for a ser2net-style
//! serial server.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_serial::SerialPortBuilderExt;

use super::Error;

/// A byte stream to a modem.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// An open port.
pub type Port = Box<dyn Stream>;

/// Hardware flow control on the serial line (RTS/CTS), for UART HATs wired
/// with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FlowControl {
    #[default]
    None,
    Hardware,
}

pub async fn open(device: &str, baud: u32, flow: FlowControl) -> Result<Port, Error> {
    let fail = |e: std::io::Error| Error::Open {
        device: device.to_owned(),
        source: e,
    };
    if let Some(addr) = device.strip_prefix("tcp://") {
        let s = tokio::net::TcpStream::connect(addr).await.map_err(fail)?;
        s.set_nodelay(true).map_err(fail)?;
        return Ok(Box::new(s));
    }
    if !std::path::Path::new(device).exists() {
        return Err(fail(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such device",
        )));
    }
    let builder = tokio_serial::new(device, baud).flow_control(match flow {
        FlowControl::None => tokio_serial::FlowControl::None,
        FlowControl::Hardware => tokio_serial::FlowControl::Hardware,
    });
    let port = builder
        .open_native_async()
        .map_err(|e| fail(std::io::Error::other(e.to_string())))?;
    Ok(Box::new(port))
}
